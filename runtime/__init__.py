"""Process-level plumbing shared by the worker and the API: settings, logging, connections."""
