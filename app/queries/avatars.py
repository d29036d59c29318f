"""SQL for customer avatars: one row per customer, replaced whole."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import as_utc
from app.database import Database
from app.models import Avatar
from app.tables import customer_avatars, customers

__all__ = ["find_avatar", "save_avatar", "delete_avatar"]


def _avatar(values: Any) -> Avatar:
    return Avatar(
        customer_id=values["customer_id"],
        content_type=values["content_type"],
        data=bytes(values["bytes"]),
        sha256=values["sha256"],
        size=values["size"],
        width=values["width"],
        height=values["height"],
        updated_at=as_utc(values["updated_at"]),
    )


async def find_avatar(db: Database, customer_id: int) -> Avatar | None:
    row = await db.fetch_one(sa.select(customer_avatars).where(customer_avatars.c.customer_id == customer_id))
    return _avatar(row) if row is not None else None


async def save_avatar(db: Database, avatar: Avatar) -> None:
    """Insert or replace the customer's avatar in one statement (two uploads at once: the last wins)."""
    values = {
        "customer_id": avatar.customer_id,
        "content_type": avatar.content_type,
        "bytes": avatar.data,
        "sha256": avatar.sha256,
        "size": avatar.size,
        "width": avatar.width,
        "height": avatar.height,
        "updated_at": avatar.updated_at,
    }
    insert = sqlite.insert(customer_avatars) if db.is_sqlite else postgresql.insert(customer_avatars)
    changed = {name: value for name, value in values.items() if name != "customer_id"}
    await db.execute(
        insert.values(**values).on_conflict_do_update(index_elements=["customer_id"], set_=changed)
    )
    # hasAvatar is a column of the customer (read with it, filtered on by the back-office).
    await db.execute(customers.update().where(customers.c.id == avatar.customer_id).values(has_avatar=True))


async def delete_avatar(db: Database, customer_id: int) -> bool:
    """Whether the customer had an avatar, now removed."""
    removed = await db.fetch_all(
        customer_avatars.delete()
        .where(customer_avatars.c.customer_id == customer_id)
        .returning(customer_avatars.c.customer_id)
    )
    await db.execute(customers.update().where(customers.c.id == customer_id).values(has_avatar=False))
    return bool(removed)
