"""The customer's order page (HTML, in the customer's language), with the help centre's
answers for the order."""
