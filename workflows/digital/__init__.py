"""Digital delivery, a component of the order: gift-card codes from the card issuer,
verification above the threshold, redemptions, faulty-card reports and expiry."""
