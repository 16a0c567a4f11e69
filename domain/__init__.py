"""Pure business rules of orderflow: models, money, policies and their decisions."""
