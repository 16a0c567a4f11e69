"""Activities: thin, idempotent calls to the outside world, built with their dependencies."""
