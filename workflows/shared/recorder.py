"""The recorder every workflow's state is built on: one timeline (entries numbered in order,
each written to the read model with the status it leaves, the status search attribute and
the Web UI's current details), the owner's e-mails, sent once each, and its operator tasks.

An owner (an order, a return, a claim, a subscription's period) says only what differs: the
entry it writes, where its status lives and its Web UI details, and whose tasks and e-mails
these are (`Owner`)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.mail import MailActivities
    from activities.models import OperatorTask, SendOrderEmail
    from activities.store import StoreActivities
    from domain.subscriptions import SendSubscriptionEmail

from workflows.shared.options import LOCAL_BOUND, MAIL, STORE, run, run_local

# An order's e-mails leave its path for a queue of their own behind it.
OFF_THE_PATH = "emails-off-the-path"
# An order's timeline entries and tasks the database cannot take at once follow behind it.
STORE_BOUNDED = "store-writes-bounded"


@dataclass(frozen=True)
class Owner:
    """Whose tasks and e-mails these are. Task keys start with `key`; a task's `ref` (what
    its action acts on) is its own key where it has one, else `ref`."""

    key: str
    order_id: str | None = None
    subscription_id: str | None = None
    ref: str | None = None
    priority: int = 0
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One timeline entry as every owner has it; `at` is taken when the owner writes it."""

    seq: int
    kind: str
    summary: str
    status: Any
    clauses: tuple[str, ...] | None
    details: dict[str, Any]
    deadlines: dict[str, str] | None

    def written(self, **owner: Any) -> dict[str, Any]:
        """The entry's fields as an owner's event takes them, written now, with the owner's
        own fields (its id, a snapshot) beside them; an owner's fields win."""
        return {
            "seq": self.seq,
            "at": workflow.now(),
            "kind": self.kind,
            "summary": self.summary,
            "status": self.status,
            "clauses": self.clauses or (),
            "details": self.details,
            "deadlines": self.deadlines,
            **owner,
        }


class Recorder(ABC):
    """One owner's timeline, e-mails and tasks (see the module's docstring)."""

    owner: Owner
    status_attribute: ClassVar[SearchAttributeKey[str] | None] = None
    mail_off_the_path: ClassVar[bool] = False
    store_off_the_path: ClassVar[bool] = False
    _seq: int = 0
    _behind: asyncio.Future[None] | None = None
    _stored: asyncio.Future[None] | None = None

    @abstractmethod
    def _set_status(self, status: StrEnum) -> None: ...

    @abstractmethod
    def details(self) -> str:
        """The Web UI's current details, as the owner stands."""

    @abstractmethod
    def _entry(self, entry: Entry) -> tuple[Callable[[Any, Any], Awaitable[None]], Any]:
        """The store activity that writes the owner's timeline, and this entry as it takes it."""

    async def record(
        self,
        kind: str,
        status: Any,
        summary: str,
        clauses: tuple[str, ...] | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        deadlines: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """One timeline entry: the read model, the status attribute, the Web UI's details."""
        self._seq += 1
        if status is not None:
            self._set_status(status)
            if self.status_attribute is not None:
                workflow.upsert_search_attributes([self.status_attribute.value_set(status.value)])
        workflow.set_current_details(self.details())
        store, entry = self._entry(
            Entry(
                self._seq,
                kind,
                summary,
                status,
                clauses,
                dict(details or {}),
                iso_deadlines(deadlines),
            )
        )
        await self._write(store, entry, kind)

    async def _write(
        self, store: Callable[[Any, Any], Awaitable[None]], row: Any, what: str
    ) -> None:
        """One timeline entry or task into the database. For owners with
        `store_off_the_path` (in runs from the patch on), a database that cannot take it in
        `LOCAL_BOUND`'s tries holds the owner no longer: the row, and every one after it while any is
        behind, is written in turn by an activity of its own, retried until the database is
        back (the entries' numbers keep the timeline in order whatever arrives when)."""
        if not (self.store_off_the_path and workflow.patched(STORE_BOUNDED)):
            await run_local(store, row, what)
            return
        if self._stored is None or self._stored.done():
            try:
                await run_local(store, row, what, LOCAL_BOUND)
                return
            except (ActivityError, ApplicationError):  # a local one's failure may come bare
                workflow.logger.warning("database away: %s written behind the path", what)
        before = self._stored

        async def in_turn() -> None:
            if before is not None:
                await before
            await run(store, row, STORE, what)

        self._stored = asyncio.ensure_future(in_turn())

    async def email(
        self, template: str, facts: Mapping[str, Any] | None = None, key: str | None = None
    ) -> None:
        """One of the owner's e-mails, sent once; `key` tells apart several of one kind."""
        owner = self.owner
        facts = {**owner.facts, **(facts or {})}
        if owner.order_id is not None:
            key = self._mail_key(template, key)
            if self.mail_off_the_path and workflow.patched(OFF_THE_PATH):
                self._behind_the_path(send_email(owner.order_id, template, facts, key, local=False))
            else:
                await send_email(owner.order_id, template, facts, key)
            return
        assert owner.subscription_id is not None
        sid = owner.subscription_id
        await send_subscription_email(
            sid,
            template,
            {k: str(v) for k, v in facts.items() if v is not None},
            f"{sid}:email:{self._subscription_mail_key(template, key)}",
        )

    def _behind_the_path(self, send: Coroutine[Any, Any, None]) -> None:
        """An e-mail that goes out behind the owner's path, after the ones before it: an SMTP
        outage delays it, not the money or the parcel (owners with `mail_off_the_path`, in
        runs from the patch on; before, each e-mail was awaited where it was sent)."""
        before = self._behind

        async def in_turn() -> None:
            if before is not None:
                await before
            await send

        self._behind = asyncio.ensure_future(in_turn())

    async def sent(self) -> None:
        """Wait until every e-mail sent and every row written off the path has gone out
        (before the owner's workflow ends, so that none is lost)."""
        while self._behind is not None and not self._behind.done():
            await self._behind
        while self._stored is not None and not self._stored.done():
            await self._stored
        for behind in (self._behind, self._stored):
            if behind is not None:
                behind.result()

    def _mail_key(self, template: str, key: str | None) -> str | None:
        """What tells this e-mail apart from the order's others of its template."""
        return key

    def _subscription_mail_key(self, template: str, key: str | None) -> str:
        return template + (f":{key}" if key else "")

    def task_of(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        *,
        due_at: datetime | None = None,
        closed: bool = False,
        key: str | None = None,
    ) -> OperatorTask:
        owner = self.owner
        return OperatorTask(
            task_key=f"{owner.key}:{kind}" + (f":{key}" if key else ""),
            order_id=owner.order_id,
            subscription_id=owner.subscription_id,
            kind=kind,
            summary=summary,
            due_at=due_at,
            clauses=clauses,
            closed=closed,
            ref=key or owner.ref,
            priority=owner.priority,
        )

    async def task(
        self,
        kind: str,
        summary: str = "",
        clauses: tuple[str, ...] = (),
        *,
        due_at: datetime | None = None,
        closed: bool = False,
        key: str | None = None,
    ) -> OperatorTask:
        """Open (or, `closed`, close) the owner's task of this kind on the operators' list;
        `key` tells apart several of the same kind."""
        task = self.task_of(kind, summary, clauses, due_at=due_at, closed=closed, key=key)
        await self._write(StoreActivities.set_operator_task, task, f"task {task.kind}")
        return task


def iso_deadlines(deadlines: Mapping[str, datetime | None] | None) -> dict[str, str] | None:
    """A timeline entry's deadlines as the read model keeps them; unset ones left out."""
    return {k: v.isoformat() for k, v in deadlines.items() if v} if deadlines else None


async def send_email(
    order_id: str,
    template: str,
    facts: dict[str, Any],
    key: str | None = None,
    *,
    local: bool = True,
) -> None:
    """One of an order's e-mails, sent once: `key` tells apart several of the same kind. Sent
    off the path (`local=False`), it is an activity of its own, retried on its own schedule
    for as long as the mail server is down, without holding the workflow's task."""
    message = SendOrderEmail(
        order_id=order_id,
        template=template,
        idempotency_key=f"{order_id}:email:{template}" + (f":{key}" if key else ""),
        facts=facts,
    )
    if local:
        await run_local(MailActivities.send_order_email, message, f"e-mail {template}")
    else:
        await run(MailActivities.send_order_email, message, MAIL, f"e-mail {template}")


async def send_subscription_email(
    subscription_id: str, template: str, facts: dict[str, str], idempotency_key: str
) -> None:
    """One of a subscription's e-mails, sent once under its idempotency key."""
    message = SendSubscriptionEmail(
        subscription_id=subscription_id,
        template=template,
        idempotency_key=idempotency_key,
        facts=facts,
    )
    await run_local(MailActivities.send_subscription_email, message, f"e-mail {template}")
