"""``GET /backoffice/customers`` (BO §4.5): filters AND together, text by substring or exactly,
phones normalised, labels, states, stores, date ranges in each store's time zone, aggregates, sort
keys with ties by id and nulls largest, offset and cursor paging, the bounded count; 011 names the
parameter at fault; each search is audited with filter names and references, never values."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.queries import search as search_queries
from app.queries._common import mapping
from app.stores import Store
from app.tables import addresses, audit_events, customer_labels, customers
from tests.backoffice.helpers import client_token, logged_in_operator, seed_client
from tests.helpers import error
from tests.mail_helpers import running_app

STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("US", "en_US", ("en_US",), "USD", "America/New_York"),
)
R = "customers:read"
_numbers = itertools.count(1)


def _stored(db: Any, moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if db.is_sqlite else moment


async def seed(
    app: Any,
    *,
    store: str = "DE",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    email: str | None = None,
    labels: tuple[tuple[str, str], ...] = (),
    city: str | None = None,
    created_at: datetime | None = None,
    **columns: Any,
) -> str:
    """One customer row (and its labels and address), as the back-office writes them: its reference."""
    db = app.state.services.db
    number = next(_numbers)
    moment = created_at or datetime(2026, 1, 1, 12, tzinfo=UTC)
    email = email or f"customer{number}@example.com"
    for name in ("last_transaction_date", "updated_at"):
        if isinstance(columns.get(name), datetime):
            columns[name] = _stored(db, columns[name])
    row = await db.fetch_one(
        customers.insert()
        .values(
            store=store,
            reference=f"{store}--{number}",
            email=email,
            email_key=email.lower(),
            first_name=first_name,
            last_name=last_name,
            created_at=_stored(db, moment),
            updated_at=columns.pop("updated_at", _stored(db, moment)),
            **{
                "loyalty_card_key": columns["loyalty_card_number"].lower()
                if columns.get("loyalty_card_number")
                else None,
                **columns,
            },
        )
        .returning(customers.c.id)
    )
    customer_id = row[0]
    for key, value in labels:
        await db.execute(
            customer_labels.insert().values(
                customer_id=customer_id,
                key=key,
                value=value,
                key_lower=key.lower(),
                value_lower=value.lower(),
            )
        )
    if city is not None:
        await db.execute(
            addresses.insert().values(
                id=f"00000000-0000-4000-8000-{number:012d}",
                customer_id=customer_id,
                salutation="Ms",
                first_name=first_name,
                last_name=last_name,
                address1="Street 1",
                zip_code="10115",
                city=city,
                iso2_code="DE",
                created_at=_stored(db, moment),
                updated_at=_stored(db, moment),
            )
        )
    return f"{store}--{number}"


@pytest.fixture
async def world(app_factory):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False) as (app, client):
        admin = await logged_in_operator(app, client, permissions=(R,))
        yield app, client, admin.headers


async def search(client: Any, headers: dict[str, str], query: str = "") -> Any:
    response = await client.get(f"/backoffice/customers{query}", headers=headers)
    return response


async def references(client: Any, headers: dict[str, str], query: str) -> list[str]:
    response = await search(client, headers, query)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


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


async def test_text_filters_match_substrings_prefixes_and_exact_values(world):
    app, client, headers = world
    ada = await seed(app, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    grace = await seed(app, first_name="Grace", last_name="Hopper", email="grace.hopper@navy.example")
    percent = await seed(app, first_name="Per%cent", last_name="Hopperson")

    assert await references(client, headers, "?filter[lastName]=OPP&sort=createdAt") == [grace, percent]
    assert await references(client, headers, "?filter[lastName]=hopper&filter[match]=exact") == [grace]
    # One or two characters: a prefix, so "ov" finds no Lovelace.
    assert await references(client, headers, "?filter[lastName]=ov") == []
    assert await references(client, headers, "?filter[lastName]=lo") == [ada]
    # Filters AND together; LIKE's wildcards are literal characters here.
    assert await references(client, headers, "?filter[lastName]=hopp&filter[email]=navy") == [grace]
    assert await references(client, headers, "?filter[firstName]=r%25c") == [percent]
    assert await references(client, headers, "?filter[firstName]=r_c") == []
    assert await references(client, headers, "?filter[emailOrPhone]=ADA@EXAMPLE.COM&filter[match]=exact") == [
        ada
    ]


async def test_phones_match_without_separators_and_exactly_in_e164(world):
    app, client, headers = world
    berlin = await seed(app, phone="+49301234567")
    await seed(app, phone="+41445550000")

    assert await references(client, headers, "?filter[phone]=30%20123-45") == [berlin]
    assert await references(client, headers, "?filter[phone]=030%201234567&filter[match]=exact") == [berlin]
    assert await references(
        client, headers, "?filter[emailOrPhone]=%2B49%2030%201234567&filter[match]=exact"
    ) == [berlin]
    response = await search(client, headers, "?filter[phone]=not-a-number&filter[match]=exact")
    assert response.status_code == 400
    assert response.json() == invalid("filter[phone]")


async def test_labels_addresses_states_and_ids(world):
    app, client, headers = world
    gold = await seed(app, labels=(("VIP", "yes"), ("tier", "Gold")), city="Berlin", status="active")
    silver = await seed(app, labels=(("tier", "silver"),), city="Hamburg", status="inactive", pos_id="p-1")
    await seed(app, status="pending", manually_assigned_level=True)

    assert await references(client, headers, "?filter[label]=vip") == [gold]
    assert await references(client, headers, "?filter[label]=TIER:gold&filter[label]=vip") == [gold]
    assert await references(client, headers, "?filter[label]=tier:gold&filter[label]=tier:silver") == []
    assert await references(client, headers, "?filter[city]=burg") == [silver]
    assert await references(client, headers, "?filter[active]=false&filter[status]=inactive,active") == [
        silver
    ]
    assert await references(client, headers, "?filter[posId]=p-1") == [silver]
    assert len(await references(client, headers, "?filter[manuallyAssignedLevel]=true")) == 1


async def test_dates_are_days_in_each_customers_store_time_zone(world):
    app, client, headers = world
    # 23:30 UTC on 1 March: 2 March in Berlin, still 1 March in New York.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    berlin = await seed(app, store="DE", created_at=late)
    new_york = await seed(app, store="US", created_at=late)

    assert await references(
        client, headers, "?filter[createdAtFrom]=2026-03-02&filter[createdAtTo]=2026-03-02"
    ) == [berlin]
    assert await references(
        client, headers, "?filter[createdAtFrom]=2026-03-01&filter[createdAtTo]=2026-03-01"
    ) == [new_york]
    assert sorted(
        await references(client, headers, "?filter[createdAtFrom]=2026-03-01T23:30:00%2B00:00")
    ) == sorted([berlin, new_york])
    response = await search(
        client, headers, "?filter[createdAtFrom]=2026-03-02&filter[createdAtTo]=2026-03-01"
    )
    assert response.json() == invalid("filter[createdAtFrom]")
    response = await search(client, headers, "?filter[createdAtFrom]=2026-03-02T10:00:00")
    assert response.json() == invalid("filter[createdAtFrom]")


async def test_aggregate_ranges_and_sorting_with_ties_by_id_and_nulls_largest(world):
    app, client, headers = world
    # Rows as CB §6.3 keeps them: amounts above 0 only with a lastTransactionDate; none without orders.
    big = await seed(app, transactions_amount=5000, last_transaction_date=datetime(2026, 2, 1, tzinfo=UTC))
    tie_a = await seed(app, transactions_amount=2000, last_transaction_date=datetime(2026, 1, 5, tzinfo=UTC))
    tie_b = await seed(app, transactions_amount=2000, last_transaction_date=datetime(2026, 1, 5, tzinfo=UTC))
    small = await seed(app, transactions_amount=100, last_transaction_date=datetime(2026, 3, 1, tzinfo=UTC))
    no_orders = await seed(app)

    query = "?filter[transactionsAmountFrom]=2000&filter[transactionsAmountTo]=5000"
    assert await references(client, headers, query + "&sort=transactionsAmount") == [tie_a, tie_b, big]
    assert await references(client, headers, query + "&sort=-transactionsAmount") == [big, tie_b, tie_a]
    assert await references(client, headers, query + "&sort=lastTransactionDate") == [tie_a, tie_b, big]
    assert await references(client, headers, query + "&sort=-lastTransactionDate") == [big, tie_b, tie_a]
    # No transaction yet sorts as the largest date: last ascending, first descending.
    up_to = "?filter[transactionsAmountTo]=2000"
    assert await references(client, headers, up_to + "&sort=lastTransactionDate") == [
        tie_a,
        tie_b,
        small,
        no_orders,
    ]
    assert await references(client, headers, up_to + "&sort=-lastTransactionDate") == [
        no_orders,
        small,
        tie_b,
        tie_a,
    ]
    body = (await search(client, headers, query)).json()
    assert body["meta"] == {"total": 3, "totalExact": True}
    assert body["data"][0]["attributes"]["transactionsAmount"] in (2000, 5000)
    assert body["data"][0]["attributes"]["currency"] == "EUR"


async def test_offset_pages_and_the_offset_ceiling(app_factory):
    async with running_app(app_factory, stores=STORES, mail_worker_enabled=False, search_max_offset=4) as (
        app,
        client,
    ):
        headers = (await logged_in_operator(app, client, permissions=(R,))).headers
        made = [await seed(app, created_at=datetime(2026, 1, day, tzinfo=UTC)) for day in range(1, 6)]
        response = await search(client, headers, "?sort=createdAt&page[offset]=2&page[limit]=2")
        body = response.json()
        assert [item["id"] for item in body["data"]] == made[2:4]
        assert body["meta"] == {"total": 5, "totalExact": True}
        base = "http://testserver/backoffice/customers?sort=createdAt"
        assert body["links"] == {
            "self": base + "&page%5Boffset%5D=2&page%5Blimit%5D=2",
            "first": base + "&page%5Boffset%5D=0&page%5Blimit%5D=2",
            "prev": base + "&page%5Boffset%5D=0&page%5Blimit%5D=2",
            "next": None,  # offset 4 + limit 2 passes GLUE_SEARCH_MAX_OFFSET
            "last": None,
        }
        response = await search(client, headers, "?page[offset]=3&page[limit]=2")
        assert response.status_code == 400
        assert response.json() == invalid("page[offset]")


async def test_the_count_is_exact_up_to_its_limit_then_estimated(app_factory, is_postgres):
    async with running_app(
        app_factory, stores=STORES, mail_worker_enabled=False, search_exact_count_limit=2
    ) as (app, client):
        headers = (await logged_in_operator(app, client, permissions=(R,))).headers
        for _ in range(4):
            await seed(app)
        await seed(app, last_name="Other")
        small = (await search(client, headers, "?filter[lastName]=other")).json()
        assert small["meta"] == {"total": 1, "totalExact": True}
        body = (await search(client, headers, "?filter[lastName]=lovelace")).json()
    if is_postgres:
        assert body["meta"]["totalExact"] is False
        assert body["meta"]["total"] >= 3
        assert body["links"]["last"] is None
    else:
        assert body["meta"] == {"total": 4, "totalExact": True}


async def test_cursor_pages_walk_every_match_once(world):
    app, client, headers = world
    made = [await seed(app, transactions_amount=amount) for amount in (300, 100, 300, 200, 300)]
    seen: list[str] = []
    url = "/backoffice/customers?sort=-transactionsAmount&page[limit]=2&page[cursor]="
    first = True
    while url:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert ("meta" in body) is first
        first = False
        seen.extend(item["id"] for item in body["data"])
        url = body["links"]["next"]
    assert seen == [made[4], made[2], made[0], made[3], made[1]]
    # A cursor minted for another query is refused.
    cursor = (await client.get("/backoffice/customers?page[limit]=1&page[cursor]=", headers=headers)).json()
    next_url = cursor["links"]["next"]
    response = await client.get(
        next_url.replace("page%5Blimit%5D=1", "page%5Blimit%5D=1&filter%5Bstatus%5D=active"), headers=headers
    )
    assert response.json() == invalid("page[cursor]")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?filter[nickname]=x", "filter[nickname]"),
        ("?filter[lastName]=%20", "filter[lastName]"),
        ("?filter[match]=fuzzy&filter[lastName]=x", "filter[match]"),
        ("?filter[status]=active,asleep", "filter[status]"),
        ("?filter[active]=yes", "filter[active]"),
        ("?filter[store]=FR", "filter[store]"),
        ("?filter[transactionsCountFrom]=-1", "filter[transactionsCountFrom]"),
        ("?filter[transactionsCountFrom]=5&filter[transactionsCountTo]=4", "filter[transactionsCountFrom]"),
        ("?filter[email]=a&filter[email]=b", "filter[email]"),
        ("?sort=nickname", "sort"),
        ("?sort=lastName,firstName", "sort"),
        ("?page[limit]=101", "page[limit]"),
        ("?page[size]=1", "page[size]"),
        ("?include=addresses", "include"),
        ("?page[cursor]=garbage", "page[cursor]"),
    ],
)
async def test_bad_queries_name_the_parameter(world, query, parameter):
    app, client, headers = world
    before = await _audit_count(app)
    response = await search(client, headers, query)
    assert response.status_code == 400
    assert response.json() == invalid(parameter)
    assert await _audit_count(app) == before


async def _audit_count(app: Any) -> int:
    row = await app.state.services.db.fetch_one(sa.select(sa.func.count()).select_from(audit_events))
    return int(row[0])


async def test_store_limits_and_sellers(world):
    app, client, _ = world
    german = await seed(app, store="DE", last_name="Meyer")
    await seed(app, store="US", last_name="Meyer")
    de_admin = (await logged_in_operator(app, client, permissions=(R,), stores=["DE"])).headers
    assert await references(client, de_admin, "?filter[lastName]=meyer") == [german]
    response = await search(client, de_admin, "?filter[store]=US")
    assert response.json() == invalid("filter[store]")

    seller = (await logged_in_operator(app, client, role="seller", permissions=(), stores=["DE"])).headers
    response = await search(client, seller, "?filter[status]=active")
    assert response.status_code == 400
    assert response.json() == invalid("filter[firstName]")
    assert await references(client, seller, "?filter[lastName]=mey") == [german]


async def test_callers_without_customers_read_are_refused(world):
    app, client, _ = world
    for permissions in (("commerce:write",), ("operators:write",)):
        headers = (await logged_in_operator(app, client, permissions=permissions)).headers
        response = await search(client, headers, "?filter[lastName]=x")
        assert response.status_code == 403
        assert response.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}
    client_id, secret = await seed_client(app, ("commerce:write",))
    token = (await client_token(client, client_id, secret)).json()["access_token"]
    response = await search(client, {"Authorization": f"Bearer {token}"})
    assert response.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}
    response = await search(client, {})
    assert response.json() == {"errors": [error(403, "002", "Missing access token.")]}


async def test_a_search_is_audited_with_filter_names_and_references_never_values(world):
    app, client, headers = world
    found = await seed(app, last_name="Secretname")
    await references(client, headers, "?filter[lastName]=secretname&sort=lastName")
    row = await app.state.services.db.fetch_one(
        sa.select(audit_events).where(audit_events.c.action == "GET /backoffice/customers")
    )
    assert row is not None
    assert mapping(row)["outcome"] == "succeeded"
    details = mapping(row)["details"]
    assert (json.loads(details) if isinstance(details, str) else details) == {
        "filters": ["lastName"],
        "references": [found],
    }
    assert "ecretname" not in str(mapping(row))


@pytest.mark.parametrize("sort", sorted(search_queries.SORT_COLUMNS))
async def test_sorting_after_matching_gives_the_order_of_the_sort_index(world, sort):
    """queries.search_rows' two plans (few matches sorted after matching; else the sort key's index)
    give one order: every key both ways, ties by id, nulls largest, offsets alike."""
    app, _, _ = world
    db = app.state.services.db
    for number in range(7):
        dated = number % 3 != 0
        await seed(
            app,
            first_name=("Bea", "ada", None)[number % 3],
            last_name=("Zed", "Ay")[number % 2],
            created_at=datetime(2026, 1, 1 + number % 4, tzinfo=UTC),
            transactions_amount=(number % 2) * 700 if dated else 0,
            last_transaction_date=datetime(2026, 2, 1 + number % 2, tzinfo=UTC) if dated else None,
        )
    conditions = [customers.c.store == "DE"]
    for descending in (False, True):
        for offset in (0, 2):
            pages = [
                [
                    row["id"]
                    for row in await search_queries.search_rows(
                        db, conditions, sort, descending, 4, offset, sort_after_matching=after
                    )
                ]
                for after in (False, True)
            ]
            assert pages[0] == pages[1], (sort, descending, offset)
            assert len(pages[0]) == 4
