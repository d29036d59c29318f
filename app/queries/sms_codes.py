"""SQL for one-time text codes: issue (replacing the live one, unless it is too recent), read for a
check under a row lock, count a wrong try, consume, discard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import as_utc
from app.database import Database
from app.tables import sms_codes

__all__ = [
    "StoredCode",
    "store_code",
    "issued_at",
    "code_for_check",
    "count_wrong_try",
    "delete_code",
    "delete_codes",
]


@dataclass(frozen=True)
class StoredCode:
    digest: str
    failed_attempts: int
    expires_at: datetime


def _key(customer_id: int, purpose: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (sms_codes.c.customer_id == customer_id, sms_codes.c.purpose == purpose)


async def store_code(
    db: Database,
    *,
    customer_id: int,
    purpose: str,
    digest: str,
    now: datetime,
    expires_at: datetime,
    replaceable_before: datetime,
) -> bool:
    """Make this the customer's live code for ``purpose``. One issued at ``replaceable_before`` or
    later stays (the resend interval): False, nothing written. One statement, so two concurrent
    issues cannot both pass the interval."""
    dialect_insert = sqlite.insert if db.is_sqlite else postgresql.insert
    values = {"digest": digest, "failed_attempts": 0, "created_at": now, "expires_at": expires_at}
    statement = dialect_insert(sms_codes).values(customer_id=customer_id, purpose=purpose, **values)
    upsert = statement.on_conflict_do_update(
        index_elements=[sms_codes.c.customer_id, sms_codes.c.purpose],
        set_=values,
        where=sms_codes.c.created_at < replaceable_before,
    )
    return await db.fetch_one(upsert.returning(sms_codes.c.customer_id)) is not None


async def issued_at(db: Database, customer_id: int, purpose: str) -> datetime | None:
    row = await db.fetch_one(sa.select(sms_codes.c.created_at).where(*_key(customer_id, purpose)))
    return as_utc(row[0]) if row is not None else None


async def code_for_check(db: Database, customer_id: int, purpose: str) -> StoredCode | None:
    """The live code, locked until the checking transaction ends (PostgreSQL; SQLite has one writer)."""
    query = sa.select(sms_codes.c.digest, sms_codes.c.failed_attempts, sms_codes.c.expires_at).where(
        *_key(customer_id, purpose)
    )
    row = await db.fetch_one(query if db.is_sqlite else query.with_for_update())
    if row is None:
        return None
    return StoredCode(digest=row[0], failed_attempts=int(row[1]), expires_at=as_utc(row[2]))


async def count_wrong_try(db: Database, customer_id: int, purpose: str) -> None:
    await db.execute(
        sms_codes.update()
        .where(*_key(customer_id, purpose))
        .values(failed_attempts=sms_codes.c.failed_attempts + 1)
    )


async def delete_code(db: Database, customer_id: int, purpose: str) -> None:
    await db.execute(sms_codes.delete().where(*_key(customer_id, purpose)))


async def delete_codes(db: Database, customer_id: int) -> None:
    await db.execute(sms_codes.delete().where(sms_codes.c.customer_id == customer_id))
