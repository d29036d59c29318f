"""SQL for activation by text and its resends: the customer a phone, e-mail or reference names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.database import Database
from app.tables import customers

__all__ = [
    "ActivationTarget",
    "target_by_phone",
    "target_by_email_key",
    "target_by_reference",
]


@dataclass(frozen=True)
class ActivationTarget:
    id: int
    reference: str
    store: str
    status: str
    email: str
    phone: str | None
    locale: str | None
    first_name: str | None
    last_name: str | None
    pos_id: str | None


_COLUMNS = (
    customers.c.id,
    customers.c.reference,
    customers.c.store,
    customers.c.status,
    customers.c.email,
    customers.c.phone,
    customers.c.locale,
    customers.c.first_name,
    customers.c.last_name,
    customers.c.pos_id,
)

_LIVE = customers.c.anonymized_at.is_(None)


async def _one(db: Database, *where: sa.ColumnElement[bool]) -> ActivationTarget | None:
    row: Any = await db.fetch_one(sa.select(*_COLUMNS).where(*where))
    if row is None:
        return None
    return ActivationTarget(*(row[index] for index in range(len(_COLUMNS))))


async def target_by_phone(db: Database, store: str, phone: str) -> ActivationTarget | None:
    return await _one(db, customers.c.store == store, customers.c.phone == phone, _LIVE)


async def target_by_email_key(db: Database, store: str, email_key: str) -> ActivationTarget | None:
    return await _one(db, customers.c.store == store, customers.c.email_key == email_key, _LIVE)


async def target_by_reference(db: Database, reference: str) -> ActivationTarget | None:
    return await _one(db, customers.c.reference == reference)
