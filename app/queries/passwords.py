"""SQL for passwords: the account a mail goes to, password updates, restore keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.database import Database
from app.queries._common import insert_rows, mapping
from app.tables import customers, restore_password_keys

__all__ = [
    "Account",
    "ACCOUNT_COLUMNS",
    "account_from_row",
    "account_by_id",
    "account_by_email",
    "update_password",
    "has_password",
    "supersede_restore_keys",
    "insert_restore_key",
    "consume_restore_key",
    "NewRestoreKey",
    "insert_restore_keys",
]


@dataclass(frozen=True)
class Account:
    """What the password rules need of a customer: the hash, and where and how to write to them."""

    id: int
    reference: str
    store: str
    email: str
    first_name: str | None
    last_name: str | None
    locale: str | None
    password_hash: str | None


ACCOUNT_COLUMNS = [
    customers.c.id,
    customers.c.reference,
    customers.c.store,
    customers.c.email,
    customers.c.first_name,
    customers.c.last_name,
    customers.c.locale,
    customers.c.password_hash,
]


def account_from_row(row: Any) -> Account:
    return Account(**mapping(row))


async def account_by_id(db: Database, customer_id: int) -> Account | None:
    row = await db.fetch_one(
        sa.select(*ACCOUNT_COLUMNS).where(customers.c.id == customer_id, customers.c.anonymized_at.is_(None))
    )
    return account_from_row(row) if row else None


async def account_by_email(db: Database, store: str, email_key: str) -> Account | None:
    row = await db.fetch_one(
        sa.select(*ACCOUNT_COLUMNS).where(
            customers.c.store == store,
            customers.c.email_key == email_key,
            customers.c.anonymized_at.is_(None),
        )
    )
    return account_from_row(row) if row else None


async def update_password(
    db: Database,
    customer_id: int,
    password_hash: str,
    now: datetime,
    *,
    expected_hash: str | None = None,
) -> Account | None:
    """Set the hash of a live customer; None when it vanished or (``expected_hash``) changed meanwhile."""
    conditions = [customers.c.id == customer_id, customers.c.anonymized_at.is_(None)]
    if expected_hash is not None:
        conditions.append(customers.c.password_hash == expected_hash)
    values: dict[str, Any] = {"password_hash": password_hash, "updated_at": now}
    row = await db.fetch_one(
        customers.update().where(*conditions).values(**values).returning(*ACCOUNT_COLUMNS)
    )
    return account_from_row(row) if row else None


async def has_password(db: Database, customer_id: int) -> bool:
    row = await db.fetch_one(sa.select(customers.c.password_hash).where(customers.c.id == customer_id))
    return row is not None and row[0] is not None


async def supersede_restore_keys(db: Database, customer_id: int, now: datetime) -> None:
    await db.execute(
        restore_password_keys.update()
        .where(
            restore_password_keys.c.customer_id == customer_id,
            restore_password_keys.c.used_at.is_(None),
            restore_password_keys.c.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )


async def insert_restore_key(
    db: Database, digest: str, customer_id: int, now: datetime, expires_at: datetime
) -> None:
    await db.execute(
        restore_password_keys.insert().values(
            digest=digest, customer_id=customer_id, created_at=now, expires_at=expires_at
        )
    )


@dataclass(frozen=True)
class NewRestoreKey:
    digest: str
    customer_id: int
    created_at: datetime
    expires_at: datetime


async def insert_restore_keys(db: Database, keys: list[NewRestoreKey]) -> None:
    """Several customers' keys (invitations of a creation or a bulk import) in one statement."""
    for start in range(0, len(keys), 500):
        await insert_rows(
            db,
            restore_password_keys,
            [
                {
                    "digest": key.digest,
                    "customer_id": key.customer_id,
                    "created_at": key.created_at,
                    "expires_at": key.expires_at,
                }
                for key in keys[start : start + 500]
            ],
        )


async def consume_restore_key(db: Database, digest: str, now: datetime) -> int | None:
    """Spend a usable key at most once (one conditional UPDATE); its customer's id, else None."""
    row = await db.fetch_one(
        restore_password_keys.update()
        .where(
            restore_password_keys.c.digest == digest,
            restore_password_keys.c.used_at.is_(None),
            restore_password_keys.c.superseded_at.is_(None),
            restore_password_keys.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(restore_password_keys.c.customer_id)
    )
    return int(row[0]) if row else None
