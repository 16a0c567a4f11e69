"""The codec server: Temporal's remote codec protocol for the Web UI, behind operator
credentials."""
