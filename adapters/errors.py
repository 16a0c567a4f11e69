"""How an adapter says a provider call went wrong."""


class ProviderUnavailable(Exception):
    """The provider did not answer or answered 5xx: the outcome is unknown, try again."""


class ProviderRejected(Exception):
    """The provider refused the request itself (4xx): retrying the same request cannot help."""
