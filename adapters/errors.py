"""How an adapter says a provider call went wrong."""


class ProviderUnavailable(Exception):
    """The provider did not answer or answered 5xx: the outcome is unknown, try again; after
    `retry_after` seconds when the provider said so (a 429's or 503's `Retry-After`)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderRejected(Exception):
    """The provider refused the request itself (4xx): retrying the same request cannot help."""
