"""`orderflow`, the operators' command line: orders, tasks, reviews, returns, refunds,
webhooks, stock and credentials, over the HTTP API with the operator's own credential."""
