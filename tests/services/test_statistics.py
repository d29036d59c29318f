"""Registration statistics (BO §4.6) from the domain service: periods cut in the store's time zone
(DST-correct), zero-filled, oldest first, one store only. The back-office route renders them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.stores import Store
from app.tables import customers
from tests.helpers import document, post, registration
from tests.mail_helpers import running_app

STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("AT", "de_AT", ("de_AT",), "EUR", "Europe/Vienna"),
)
# Berlin's clocks went forward on 2026-03-29 at 02:00 (UTC+1 → UTC+2).
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


async def registered_at(app, client, *moments: datetime, store: str = "DE") -> None:
    """One customer of ``store`` per moment, its ``createdAt`` moved there."""
    db = app.state.services.db
    for moment in moments:
        response = await post(
            client, "/customers", document("customers", registration(locale=...)), headers={"Store": store}
        )
        assert response.status_code == 201, response.text
        customer = response.json()["data"]
        stored = moment if not db.is_sqlite else moment.replace(tzinfo=None)
        await db.execute(
            customers.update().where(customers.c.reference == customer["id"]).values(created_at=stored)
        )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def test_days_are_cut_at_local_midnight_across_a_clock_change(app_factory):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False) as (app, client):
        await registered_at(
            app,
            client,
            utc(2026, 3, 27, 22, 59),  # 23:59 on the 27th in Berlin: before the window
            utc(2026, 3, 27, 23, 0),  # 00:00 on the 28th (UTC+1)
            utc(2026, 3, 28, 22, 59),  # 23:59 on the 28th
            utc(2026, 3, 28, 23, 0),  # 00:00 on the 29th, still UTC+1
            utc(2026, 3, 29, 21, 59),  # 23:59 on the 29th, now UTC+2
            utc(2026, 3, 29, 22, 0),  # 00:00 on the 30th
            utc(2026, 3, 30, 12, 30),  # after now: not yet
        )
        await registered_at(app, client, utc(2026, 3, 29, 10, 0), store="AT")
        statistics = await app.state.services.statistics.registrations(
            app.state.services.stores.find("DE"), "day", 3, now=NOW
        )
    assert [(item.period, item.count) for item in statistics.periods] == [
        ("2026-03-28", 2),
        ("2026-03-29", 2),
        ("2026-03-30", 1),
    ]
    assert (statistics.interval, statistics.last_days, statistics.store) == ("day", 3, "DE")
    assert (statistics.time_zone, statistics.total) == ("Europe/Berlin", 5)


async def test_days_without_registrations_count_zero(app_factory):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False) as (app, client):
        await registered_at(app, client, utc(2026, 3, 25, 9, 0))
        statistics = await app.state.services.statistics.registrations(
            app.state.services.stores.find("DE"), "day", 7, now=NOW
        )
    assert [(item.period, item.count) for item in statistics.periods] == [
        ("2026-03-24", 0),
        ("2026-03-25", 1),
        ("2026-03-26", 0),
        ("2026-03-27", 0),
        ("2026-03-28", 0),
        ("2026-03-29", 0),
        ("2026-03-30", 0),
    ]


@pytest.mark.parametrize(
    ("interval", "last_days", "expected"),
    [
        # The window opens on 2026-01-30: January is partial, March runs until now.
        ("month", 60, [("2026-01", 1), ("2026-02", 2), ("2026-03", 1)]),
        # The window opens on 2024-03-31 (730 days): 2024 is partial.
        ("year", 730, [("2024", 1), ("2025", 0), ("2026", 5)]),
    ],
)
async def test_months_and_years_start_with_the_partial_first_one(app_factory, interval, last_days, expected):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False) as (app, client):
        await registered_at(
            app,
            client,
            utc(2024, 3, 30, 22, 0),  # 23:00 on 2024-03-30 in Berlin: a day before the 730-day window
            utc(2024, 12, 31, 22, 59),  # 23:59 on New Year's Eve in Berlin: 2024
            utc(2026, 1, 29, 22, 59),  # 23:59 on the 29th: a minute before the 60-day window
            utc(2026, 1, 31, 23, 0),  # 00:00 on 1 February in Berlin
            utc(2026, 1, 30, 10, 0),
            utc(2026, 2, 27, 12, 0),
            utc(2026, 3, 30, 11, 0),
        )
        statistics = await app.state.services.statistics.registrations(
            app.state.services.stores.find("DE"), interval, last_days, now=NOW
        )
    assert [(item.period, item.count) for item in statistics.periods] == expected


async def test_anonymized_customers_still_count(app_factory):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False) as (app, client):
        await registered_at(app, client, utc(2026, 3, 30, 8, 0), utc(2026, 3, 30, 9, 0))
        db = app.state.services.db
        await db.execute(
            customers.update()
            .where(customers.c.id == sa.select(sa.func.min(customers.c.id)).scalar_subquery())
            .values(anonymized_at=NOW)
        )
        statistics = await app.state.services.statistics.registrations(
            app.state.services.stores.find("DE"), "day", 1, now=NOW
        )
    assert [(item.period, item.count) for item in statistics.periods] == [("2026-03-30", 2)]
