"""SQL for pending credential changes: replace one, read it, drop it; is a value taken in a store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.tables import credential_changes, customers

__all__ = [
    "PendingChange",
    "replace_change",
    "changes_of",
    "exported_changes_of",
    "delete_change",
    "delete_changes",
    "value_taken",
]


@dataclass(frozen=True)
class PendingChange:
    kind: str
    value: str
    digest: str | None
    expires_at: datetime


async def replace_change(
    db: Database,
    customer_id: int,
    kind: str,
    value: str,
    digest: str | None,
    now: datetime,
    expires_at: datetime,
) -> None:
    """The customer's pending change of ``kind`` is now this one (a newer request supersedes)."""
    await db.execute(
        credential_changes.delete().where(
            credential_changes.c.customer_id == customer_id, credential_changes.c.kind == kind
        )
    )
    await db.execute(
        credential_changes.insert().values(
            customer_id=customer_id,
            kind=kind,
            value=value,
            digest=digest,
            created_at=now,
            expires_at=expires_at,
        )
    )


def _changes_of(customer_id: int, *columns: Any) -> Any:
    return (
        sa.select(*columns)
        .where(credential_changes.c.customer_id == customer_id)
        .order_by(credential_changes.c.kind)
    )


async def changes_of(db: Database, customer_id: int) -> list[PendingChange]:
    columns = credential_changes.c
    rows = await db.fetch_all(
        _changes_of(customer_id, columns.kind, columns.value, columns.digest, columns.expires_at)
    )
    return [PendingChange(str(row[0]), str(row[1]), row[2], as_utc(row[3])) for row in rows]


async def exported_changes_of(db: Database, customer_id: int) -> list[dict[str, Any]]:
    """The data export's view (BO §4.11): kind, the new value and its times; the key's digest is
    not even read."""
    columns = credential_changes.c
    rows = await db.fetch_all(
        _changes_of(customer_id, columns.kind, columns.value, columns.created_at, columns.expires_at)
    )
    return [
        {
            "kind": row[0],
            "value": row[1],
            "createdAt": as_utc(row[2]).isoformat(),
            "expiresAt": as_utc(row[3]).isoformat(),
        }
        for row in rows
    ]


async def delete_change(db: Database, customer_id: int, kind: str) -> None:
    await db.execute(
        credential_changes.delete().where(
            credential_changes.c.customer_id == customer_id, credential_changes.c.kind == kind
        )
    )


async def delete_changes(db: Database, customer_id: int) -> None:
    await db.execute(credential_changes.delete().where(credential_changes.c.customer_id == customer_id))


async def value_taken(db: Database, store: str, column: str, value: str, customer_id: int) -> bool:
    """Another customer of ``store`` holds ``value`` in ``column`` (``email_key`` or ``phone``)."""
    row = await db.fetch_one(
        sa.select(customers.c.id).where(
            customers.c.store == store, customers.c[column] == value, customers.c.id != customer_id
        )
    )
    return row is not None
