"""The API (storefront, webhooks, operators, health), the webhook relay and the dev stack."""
