"""`make bench`: how much of the engine's capacity an order's lifecycle uses, and what webhook
intake costs next to a bare endpoint. Every figure is a ratio against a baseline measured in
the same run on the same machine."""
