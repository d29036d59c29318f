"""SQL for statistics: registrations counted per period in one statement, no customer loaded.

PostgreSQL counts each period's window ``[start, end)`` of the ``(store, created_at)`` index with an
index-only range count: no per-row time-zone arithmetic, cost in proportion to the index entries
read. SQLite (no time zones) groups by UTC quarter hour and the caller files them into periods."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.database import Database
from app.tables import customers

__all__ = ["COUNT_PER_WINDOW", "INTERVALS", "registrations_per_window", "registrations_per_quarter_hour"]

# The interval's PostgreSQL date_trunc unit and the period's spelling (to_char, strftime).
INTERVALS: dict[str, tuple[str, str, str]] = {
    "day": ("day", "YYYY-MM-DD", "%Y-%m-%d"),
    "month": ("month", "YYYY-MM", "%Y-%m"),
    "year": ("year", "YYYY", "%Y"),
}


def _window(store: str, since: datetime, until: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (customers.c.store == store, customers.c.created_at >= since, customers.c.created_at <= until)


# One index-only range count per window, the windows given as two arrays (one fixed text: asyncpg
# prepares it once per connection).
COUNT_PER_WINDOW = (
    "SELECT (SELECT count(*) FROM customers WHERE customers.store = $1"
    " AND customers.created_at >= window_.start AND customers.created_at < window_.end_)"
    " FROM unnest($2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS window_(start, end_, position)"
    " ORDER BY window_.position"
)


async def registrations_per_window(
    db: Database, store: str, windows: list[tuple[datetime, datetime]]
) -> list[int]:
    """PostgreSQL: the store's registrations in each ``[start, end)`` window, in the windows' order."""
    rows = await db.fetch_all_raw(
        COUNT_PER_WINDOW, [store, [start for start, _ in windows], [end for _, end in windows]]
    )
    return [int(row[0]) for row in rows]


def _naive_utc(moment: datetime) -> datetime:
    # SQLite keeps naive UTC timestamps (app/tables.py).
    return moment.astimezone(UTC).replace(tzinfo=None)


async def registrations_per_quarter_hour(
    db: Database, store: str, since: datetime, until: datetime
) -> list[tuple[datetime, int]]:
    """SQLite (no time zones): the count per UTC quarter hour, which every zone's offsets align with;
    the caller files each quarter hour into its local period."""
    quarter = (sa.cast(sa.func.strftime("%M", customers.c.created_at), sa.Integer) / 15).label("quarter")
    hour = sa.func.strftime("%Y-%m-%d %H", customers.c.created_at).label("hour")
    rows = await db.fetch_all(
        sa.select(hour, quarter, sa.func.count().label("count"))
        .where(*_window(store, _naive_utc(since), _naive_utc(until)))
        .group_by(hour, quarter)
    )
    slots = []
    for row in rows:
        start = datetime.strptime(row[0], "%Y-%m-%d %H").replace(minute=15 * int(row[1]), tzinfo=UTC)
        slots.append((start, int(row[2])))
    return slots
