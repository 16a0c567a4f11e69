"""Payment, a component of the order: attempts by card (with 3-D Secure), PayPal or e-invoice,
retries, fraud screening and review, what the provider said, and the order's money moves."""
