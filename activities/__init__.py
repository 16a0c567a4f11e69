"""Activities: thin classes, one per outside thing they touch, built with their dependencies."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from activities.cards import CardActivities
from activities.carriers import CarrierActivities
from activities.mail import MailActivities
from activities.payments import PaymentActivities
from activities.store import StoreActivities
from adapters.cards import CardIssuer
from adapters.carriers import CarrierGateway
from adapters.carriers.easypost import EasyPostTracking
from adapters.email import Mailer
from adapters.payments import PaymentGateway
from runtime.tokens import Links
from store.sealing import Sealer


@dataclass(frozen=True)
class Activities:
    payments: PaymentActivities
    carriers: CarrierActivities
    mail: MailActivities
    store: StoreActivities
    cards: CardActivities

    def all(self) -> list[object]:
        """Every activity method, for the worker to register."""
        found: list[object] = []
        for group in (
            self.payments,
            self.carriers,
            self.mail,
            self.store,
            self.cards,
        ):
            for name in dir(type(group)):
                member = getattr(group, name)
                if hasattr(getattr(type(group), name), "__temporal_activity_definition"):
                    found.append(member)
        return found


def build_activities(
    pool: asyncpg.Pool,
    payments: PaymentGateway,
    carrier: CarrierGateway,
    mailer: Mailer,
    mail_from: str,
    *,
    issuer: CardIssuer,
    sealer: Sealer,
    operators_email: str = "operators@orderflow.local",
    links: Links | None = None,
    tracking: EasyPostTracking | None = None,
) -> Activities:
    return Activities(
        payments=PaymentActivities(pool, payments, sealer),
        carriers=CarrierActivities(pool, carrier, tracking),
        mail=MailActivities(pool, mailer, mail_from, sealer, operators_email, links),
        store=StoreActivities(pool),
        cards=CardActivities(pool, issuer, sealer),
    )
