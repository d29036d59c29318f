"""SQL for statistics: registrations counted per period in one grouped query, no customer loaded."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.database import Database
from app.tables import customers

__all__ = ["INTERVALS", "registrations_per_period", "registrations_per_quarter_hour"]

# The interval's PostgreSQL date_trunc unit and the period's spelling (to_char, strftime).
INTERVALS: dict[str, tuple[str, str, str]] = {
    "day": ("day", "YYYY-MM-DD", "%Y-%m-%d"),
    "month": ("month", "YYYY-MM", "%Y-%m"),
    "year": ("year", "YYYY", "%Y"),
}


def _window(store: str, since: datetime, until: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (customers.c.store == store, customers.c.created_at >= since, customers.c.created_at <= until)


async def registrations_per_period(
    db: Database, store: str, since: datetime, until: datetime, time_zone: str, interval: str
) -> dict[str, int]:
    """PostgreSQL: the count per local period, the periods cut in ``time_zone`` by the database."""
    unit, spelling, _ = INTERVALS[interval]
    period = sa.func.to_char(
        sa.func.date_trunc(unit, sa.func.timezone(time_zone, customers.c.created_at)), spelling
    ).label("period")
    rows = await db.fetch_all(
        sa.select(period, sa.func.count().label("count"))
        .where(*_window(store, since, until))
        .group_by(period)
    )
    return {row[0]: int(row[1]) for row in rows}


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
