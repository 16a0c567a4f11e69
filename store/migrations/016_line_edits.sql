-- Units given back to stock when an order's lines are edited down or cancelled: one row per
-- SKU under the edit's key, so that an edit applied again gives nothing back twice.

CREATE TABLE stock_releases (
    release_key text NOT NULL,
    merchant    text NOT NULL,
    sku         text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (release_key, sku)
);
