"""Registration statistics: how many customers a store gained per day, month or year, zero-filled,
in the store's time zone (BO §4.6)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.clock import utc_now
from app.database import Database
from app.queries import statistics as queries
from app.stores import Store

__all__ = ["INTERVALS", "MAX_LAST_DAYS", "RegistrationCount", "RegistrationStatistics", "StatisticsService"]

INTERVALS = tuple(queries.INTERVALS)
MAX_LAST_DAYS = 3660


@dataclass(frozen=True)
class RegistrationCount:
    period: str  # YYYY-MM-DD, YYYY-MM or YYYY
    count: int


@dataclass(frozen=True)
class RegistrationStatistics:
    interval: str
    last_days: int
    store: str
    time_zone: str
    periods: list[RegistrationCount]

    @property
    def total(self) -> int:
        return sum(period.count for period in self.periods)


class StatisticsService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def registrations(
        self, store: Store, interval: str, last_days: int, now: datetime | None = None
    ) -> RegistrationStatistics:
        """Customers of ``store`` by ``createdAt`` (anonymized ones included) from the start of the
        day ``last_days`` − 1 days before today until now, both in the store's time zone, per period,
        oldest first; periods without a registration count 0."""
        zone = zoneinfo.ZoneInfo(store.time_zone)
        until = now or utc_now()
        today = until.astimezone(zone).date()
        first_day = today - timedelta(days=last_days - 1)
        # Midnight as the zone has it on that day (zoneinfo applies that day's offset: DST-correct).
        since = datetime.combine(first_day, time(0), tzinfo=zone)
        _, _, spelling = queries.INTERVALS[interval]
        firsts = _period_firsts(first_day, today, interval)
        labels = [day.strftime(spelling) for day in firsts]
        if self._db.is_sqlite:
            counts: dict[str, int] = {}
            for start, count in await queries.registrations_per_quarter_hour(
                self._db, store.code, since, until
            ):
                period = start.astimezone(zone).strftime(spelling)
                counts[period] = counts.get(period, 0) + count
            periods = [RegistrationCount(period=label, count=counts.get(label, 0)) for label in labels]
        else:
            # Each period from its local midnight (the first one from ``since``) to the next one's;
            # the last to ``until`` inclusive (timestamps are kept to the microsecond).
            starts = [since] + [datetime.combine(day, time(0), tzinfo=zone) for day in firsts[1:]]
            ends = [*starts[1:], until + timedelta(microseconds=1)]
            counted = await queries.registrations_per_window(
                self._db, store.code, list(zip(starts, ends, strict=True))
            )
            periods = [
                RegistrationCount(period=label, count=count)
                for label, count in zip(labels, counted, strict=True)
            ]
        return RegistrationStatistics(
            interval=interval,
            last_days=last_days,
            store=store.code,
            time_zone=store.time_zone,
            periods=periods,
        )


def _period_firsts(first: date, last: date, interval: str) -> list[date]:
    """The first day of every period from the one holding ``first`` to the one holding ``last``
    (the first period's is ``first`` itself), oldest first."""
    if interval == "day":
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    firsts: list[date] = []
    day = first
    while day <= last:
        firsts.append(day)
        # The first day of the next month or year.
        day = (
            date(day.year + 1, 1, 1)
            if interval == "year"
            else date(day.year + day.month // 12, day.month % 12 + 1, 1)
        )
    return firsts
