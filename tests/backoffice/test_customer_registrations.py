"""``GET /backoffice/customer-registrations`` (BO §4.6): the statistics domain behind the back-office
route, its filters (interval, lastDays 1–3660, one of the caller's stores) and its meta."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.clock import utc_now
from app.stores import Store
from tests.backoffice.helpers import logged_in_operator
from tests.backoffice.test_customer_search import seed
from tests.helpers import error
from tests.mail_helpers import running_app

STORES = (
    Store("DE", "de_DE", ("de_DE",), "EUR", "Europe/Berlin"),
    Store("US", "en_US", ("en_US",), "USD", "America/New_York"),
)
R = "customers:read"
PATH = "/backoffice/customer-registrations"


@pytest.fixture
async def world(app_factory):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False) as (app, client):
        admin = await logged_in_operator(app, client, permissions=(R,))
        yield app, client, admin.headers


def invalid(parameter: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "status": "400",
                "code": "011",
                "detail": "Invalid query parameter.",
                "source": {"parameter": parameter},
            }
        ]
    }


async def test_defaults_are_30_days_of_the_callers_first_store_zero_filled(world):
    app, client, headers = world
    now = utc_now()
    await seed(app, store="DE", created_at=now - timedelta(minutes=1))
    await seed(app, store="DE", created_at=now - timedelta(days=40))
    await seed(app, store="US", created_at=now - timedelta(minutes=1))

    response = await client.get(PATH, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == {
        "interval": "day",
        "lastDays": 30,
        "store": "DE",
        "timeZone": "Europe/Berlin",
        "total": 1,
    }
    assert len(body["data"]) == 30
    assert [item["attributes"]["count"] for item in body["data"]] == [0] * 29 + [1]
    last = body["data"][-1]
    assert last["type"] == "customer-registrations"
    assert last["id"] == last["attributes"]["period"]


async def test_months_of_another_store(world):
    app, client, headers = world
    await seed(app, store="US", created_at=utc_now() - timedelta(minutes=1))
    response = await client.get(
        PATH + "?filter[interval]=month&filter[lastDays]=1&filter[store]=US", headers=headers
    )
    body = response.json()
    assert body["meta"]["timeZone"] == "America/New_York"
    assert [item["attributes"]["count"] for item in body["data"]] == [1]
    assert len(body["data"][0]["id"]) == 7  # YYYY-MM


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?filter[interval]=week", "filter[interval]"),
        ("?filter[lastDays]=0", "filter[lastDays]"),
        ("?filter[lastDays]=3661", "filter[lastDays]"),
        ("?filter[lastDays]=ten", "filter[lastDays]"),
        ("?filter[store]=FR", "filter[store]"),
        ("?filter[color]=red", "filter[color]"),
        ("?sort=period", "sort"),
        ("?page[limit]=5", "page[limit]"),
    ],
)
async def test_bad_filters_name_the_parameter(world, query, parameter):
    _, client, headers = world
    response = await client.get(PATH + query, headers=headers)
    assert response.status_code == 400
    assert response.json() == invalid(parameter)


async def test_a_store_limited_reader_sees_its_own_stores_only(world):
    app, client, _ = world
    headers = (await logged_in_operator(app, client, permissions=(R,), stores=["US"])).headers
    response = await client.get(PATH, headers=headers)
    assert response.json()["meta"]["store"] == "US"
    response = await client.get(PATH + "?filter[store]=DE", headers=headers)
    assert response.json() == invalid("filter[store]")


async def test_sellers_and_callers_without_customers_read_are_refused(world):
    app, client, _ = world
    callers = [
        {"role": "seller", "permissions": ()},
        {"permissions": ("commerce:write",)},
        {"permissions": ("operators:write",)},
    ]
    for kwargs in callers:
        headers = (await logged_in_operator(app, client, **kwargs)).headers
        response = await client.get(PATH, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}
