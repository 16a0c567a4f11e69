-- Stock levels merchants keep in orderflow, and the units reserved from them (for example to
-- replace a lost parcel). A SKU with no row is not tracked here.

CREATE TABLE stock (
    merchant   text NOT NULL,
    sku        text NOT NULL,
    available  integer NOT NULL CHECK (available >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant, sku)
);

CREATE TABLE stock_reservations (
    reservation_key text NOT NULL,
    merchant        text NOT NULL,
    sku             text NOT NULL,
    quantity        integer NOT NULL CHECK (quantity > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reservation_key, sku)
);
