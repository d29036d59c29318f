"""SQL for push tokens: found by their digest, listed oldest first, trimmed to a count per customer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import PushToken
from app.tables import customer_push_tokens, customers

__all__ = [
    "list_push_tokens",
    "find_by_digest",
    "lock_customer_tokens",
    "insert_push_token",
    "set_platform",
    "delete_push_token",
    "delete_oldest_beyond",
    "delete_customer_push_tokens",
]

_COLUMNS = (
    customer_push_tokens.c.id,
    customer_push_tokens.c.customer_id,
    customer_push_tokens.c.token,
    customer_push_tokens.c.platform,
    customer_push_tokens.c.created_at,
)
_ORDER = (customer_push_tokens.c.created_at, customer_push_tokens.c.id)


def _push_token(values: Any) -> PushToken:
    return PushToken(
        id=values["id"],
        customer_id=values["customer_id"],
        token=values["token"],
        platform=values["platform"],
        created_at=as_utc(values["created_at"]),
    )


async def list_push_tokens(db: Database, customer_id: int) -> list[PushToken]:
    rows = await db.fetch_all(
        sa.select(*_COLUMNS).where(customer_push_tokens.c.customer_id == customer_id).order_by(*_ORDER)
    )
    return [_push_token(row) for row in rows]


async def find_by_digest(db: Database, token_digest: str) -> PushToken | None:
    row = await db.fetch_one(sa.select(*_COLUMNS).where(customer_push_tokens.c.token_digest == token_digest))
    return _push_token(row) if row is not None else None


async def lock_customer_tokens(db: Database, customer_id: int) -> None:
    """Serialise one customer's token writes (PostgreSQL locks the customer's row; SQLite writes
    one transaction at a time anyway), so the count per customer holds under concurrent posts."""
    await db.fetch_one(sa.select(customers.c.id).where(customers.c.id == customer_id).with_for_update())


async def insert_push_token(db: Database, push_token: PushToken, token_digest: str) -> None:
    await db.execute(
        customer_push_tokens.insert().values(
            id=push_token.id,
            customer_id=push_token.customer_id,
            token=push_token.token,
            token_digest=token_digest,
            platform=push_token.platform,
            created_at=push_token.created_at,
        )
    )


async def set_platform(db: Database, token_id: str, platform: str | None) -> None:
    await db.execute(
        customer_push_tokens.update().where(customer_push_tokens.c.id == token_id).values(platform=platform)
    )


async def delete_push_token(db: Database, customer_id: int, token_id: str) -> bool:
    """Delete one of the customer's tokens; False when the customer has no token with that id."""
    row = await db.fetch_one(
        customer_push_tokens.delete()
        .where(customer_push_tokens.c.id == token_id, customer_push_tokens.c.customer_id == customer_id)
        .returning(customer_push_tokens.c.id)
    )
    return row is not None


async def delete_oldest_beyond(db: Database, customer_id: int, keep: int) -> None:
    """Keep the customer's ``keep`` newest tokens, delete the rest."""
    newest = (
        sa.select(customer_push_tokens.c.id)
        .where(customer_push_tokens.c.customer_id == customer_id)
        .order_by(*(column.desc() for column in _ORDER))
        .limit(keep)
    )
    await db.execute(
        customer_push_tokens.delete().where(
            customer_push_tokens.c.customer_id == customer_id,
            customer_push_tokens.c.id.not_in(newest),
        )
    )


async def delete_customer_push_tokens(db: Database, customer_id: int) -> None:
    await db.execute(customer_push_tokens.delete().where(customer_push_tokens.c.customer_id == customer_id))
