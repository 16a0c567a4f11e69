"""The order: `OrderWorkflow` (`order-<order_id>`) orchestrates the other contexts, from
payment to the close of its return window."""
