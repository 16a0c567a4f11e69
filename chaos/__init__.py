"""`make chaos`: orders through a real local stack while its parts fail, then an audit of what
came out (states reached, money moved, webhooks relayed, histories replayed)."""
