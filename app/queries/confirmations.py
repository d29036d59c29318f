"""SQL for the double opt-in: registration keys and the pending customer's activation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.database import Database
from app.tables import customers, registration_keys

__all__ = [
    "insert_registration_key",
    "consume_registration_key",
    "activate_pending",
    "confirmable_reference",
    "spend_registration_keys",
]


async def insert_registration_key(db: Database, digest: str, customer_id: int, now: datetime) -> None:
    await db.execute(
        registration_keys.insert().values(digest=digest, customer_id=customer_id, created_at=now)
    )


async def consume_registration_key(db: Database, digest: str, now: datetime) -> int | None:
    """Spend a key at most once; its customer's id, else None."""
    row = await db.fetch_one(
        registration_keys.update()
        .where(registration_keys.c.digest == digest, registration_keys.c.used_at.is_(None))
        .values(used_at=now)
        .returning(registration_keys.c.customer_id)
    )
    return int(row[0]) if row else None


async def activate_pending(db: Database, customer_id: int, now: datetime) -> str | None:
    """A pending customer becomes active; its reference, else None (not pending)."""
    row = await db.fetch_one(
        customers.update()
        .where(customers.c.id == customer_id, customers.c.status == "pending")
        .values(status="active", updated_at=now)
        .returning(customers.c.reference)
    )
    return str(row[0]) if row else None


async def confirmable_reference(db: Database, customer_id: int) -> str | None:
    """The reference of a customer a registration key still confirms: pending or already active."""
    row = await db.fetch_one(
        sa.select(customers.c.reference).where(
            customers.c.id == customer_id, customers.c.status.in_(("pending", "active"))
        )
    )
    return str(row[0]) if row else None


async def spend_registration_keys(db: Database, customer_id: int, now: datetime) -> None:
    """Activation spends the customer's open registration keys."""
    await db.execute(
        registration_keys.update()
        .where(registration_keys.c.customer_id == customer_id, registration_keys.c.used_at.is_(None))
        .values(used_at=now)
    )
