"""The operators' API (the operator key or an operator's own credential, every act naming the
operator): orders (fraud review, refunds, chargebacks, returns' acts, stock, webhooks), the
task list, claims, gift cards, and the order search."""
