"""The HTTP API, one router module per resource (`routers.py` lists them): the storefront's
and customers' (orders and what is done to them, payments, help, returns, evidence, claims,
subscriptions, gift cards), the providers' webhooks, health, and the operators' (`ops/`).
Each handler names what it needs in its signature (`deps.py`)."""
