"""SQL for the limiter's sliding windows (the default store; Redis replaces it when configured).

Keys are matched with ``key = :k OR …`` rather than ``IN``: a statement of one shape per number of
keys is compiled once and cached, where an ``IN`` list is expanded anew on every call.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.database import Database
from app.tables import login_attempts

__all__ = ["record_attempt", "drop_expired", "window_counts", "forget"]


def _any_key(keys: list[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(login_attempts.c.key == key for key in keys))


async def record_attempt(db: Database, keys: list[str], attempt_id: str, now: float) -> None:
    """Add this attempt to each key's window (autocommitted, so a count that follows sees it)."""
    await db.execute(
        login_attempts.insert().values(
            [{"key": key, "attempt_id": attempt_id, "occurred_at": now} for key in keys]
        )
    )


async def drop_expired(db: Database, keys: list[str], now: float, window: float) -> None:
    await db.execute(
        login_attempts.delete().where(_any_key(keys), login_attempts.c.occurred_at <= now - window)
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


async def forget(db: Database, attempt_id: str, reset_keys: tuple[str, ...] = ()) -> None:
    """Uncount one attempt, and clear every entry of ``reset_keys``, in one statement."""
    condition = login_attempts.c.attempt_id == attempt_id
    if reset_keys:
        condition = sa.or_(condition, _any_key(list(reset_keys)))
    await db.execute(login_attempts.delete().where(condition))
