"""How a validator refuses an act: a non-retryable `ApplicationError` of one of the registered
types (`domain.errors`), carrying the deciding clause and the request's field."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import ErrorType


def refusal(
    reason: str, clauses: tuple[str, ...], kind: ErrorType, field: str | None = None
) -> ApplicationError:
    """The reason; as details, the deciding clause and the request's field it is about (when
    there is one), which the API turns into its problem+json."""
    details = [clauses[0] if clauses else None, field] if field else list(clauses[:1])
    return ApplicationError(reason, *details, type=kind.value, non_retryable=True)
