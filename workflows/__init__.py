"""Temporal workflows: deterministic orchestration of domain decisions and activities."""
