"""SQL for the limiter's sliding windows (the default store; Redis replaces it when configured).

Keys are matched with ``key = :k OR …`` rather than ``IN``: a statement of one shape per number of
keys is compiled once and cached, where an ``IN`` list is expanded anew on every call.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.database import Database
from app.tables import login_attempts

__all__ = ["record_attempt", "window_counts", "forget_attempt", "forget_key"]


def _any_key(keys: list[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(login_attempts.c.key == key for key in keys))


async def record_attempt(db: Database, keys: list[str], attempt_id: str, now: float, window: float) -> None:
    """Drop the keys' expired entries and add this attempt to each window (autocommitted statements)."""
    await db.execute(
        login_attempts.delete().where(_any_key(keys), login_attempts.c.occurred_at <= now - window)
    )
    await db.execute(
        login_attempts.insert().values(
            [{"key": key, "attempt_id": attempt_id, "occurred_at": now} for key in keys]
        )
    )


async def window_counts(
    db: Database, keys: list[str], now: float, window: float
) -> dict[str, tuple[int, float]]:
    """Per key: the attempts inside the window and the oldest one's time."""
    rows = await db.fetch_all(
        sa.select(login_attempts.c.key, sa.func.count(), sa.func.min(login_attempts.c.occurred_at))
        .where(_any_key(keys), login_attempts.c.occurred_at > now - window)
        .group_by(login_attempts.c.key)
    )
    return {row[0]: (int(row[1]), float(row[2])) for row in rows}


async def forget_attempt(db: Database, attempt_id: str) -> None:
    await db.execute(login_attempts.delete().where(login_attempts.c.attempt_id == attempt_id))


async def forget_key(db: Database, key: str) -> None:
    await db.execute(login_attempts.delete().where(login_attempts.c.key == key))
