"""The back-office's order and payment-instrument endpoints (CB §6.2, §7, §8.2) through HTTP, on
the served route table: an integration client with ``commerce:write`` and ``customers:read`` ingests
and reads; an operator with ``customers:write`` deletes instruments. Parse → service → render, the
store from the path; every ingest request is one audit entry naming the customers it touched."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.tables import metadata
from tests.backoffice.helpers import client_token, logged_in_operator, seed_client
from tests.helpers import bearer, document, error, register
from tests.helpers import post as _post
from tests.order_helpers import instrument_attributes, luhn_complete, moment, order_attributes

R, W, K = "customers:read", "customers:write", "commerce:write"


@pytest.fixture
async def ingest(app: Starlette, client: httpx.AsyncClient) -> tuple[Starlette, Caller]:
    client_id, secret = await seed_client(app, (R, K))
    token = (await client_token(client, client_id, secret)).json()["access_token"]
    return app, Caller(client, bearer(token))


class Caller:
    """An HTTP client that sends one back-office token with every request."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await _post(self.http, path, body, headers=self.headers)

    async def patch(self, path: str, body: Any) -> httpx.Response:
        return await self.http.patch(
            path, json=body, headers={**self.headers, "Content-Type": "application/vnd.api+json"}
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.headers, **kwargs)

    async def delete(self, path: str) -> httpx.Response:
        return await self.http.delete(path, headers=self.headers)


async def _audit_entries(app: Starlette, action: str) -> list[dict[str, Any]]:
    rows = await app.state.services.db.fetch_all(
        sa.text(
            "SELECT customer_reference, details, outcome FROM audit_events WHERE action = :action ORDER BY id"
        ).bindparams(action=action)
    )
    return [dict(row._mapping) for row in rows]


async def test_an_order_is_created_then_unchanged_then_updated_then_stale(ingest):
    _, client = ingest
    customer = await register(client.http)
    attributes = order_attributes(customer["id"], orderNumber="100234")
    created = await client.post("/backoffice/stores/DE/orders", document("orders", attributes))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "http://testserver/backoffice/stores/DE/orders/100234"
    assert created.json()["meta"] == {"outcome": "created"}
    assert created.json()["data"]["attributes"]["customerReference"] == customer["id"]
    again = await client.post("/backoffice/stores/de/orders", document("orders", attributes))
    assert (again.status_code, again.json()["meta"]) == (200, {"outcome": "unchanged"})
    newer = {**attributes, "status": "shipped", "sourceUpdatedAt": "2026-11-21T08:00:00+01:00"}
    updated = await client.post("/backoffice/stores/DE/orders", document("orders", newer))
    assert (updated.status_code, updated.json()["meta"]) == (200, {"outcome": "updated"})
    stale = await client.post("/backoffice/stores/DE/orders", document("orders", attributes))
    assert (stale.status_code, stale.json()["meta"]) == (200, {"outcome": "stale"})
    status = await client.patch(
        "/backoffice/stores/DE/orders/100234",
        document("orders", {"status": "cancelled", "sourceUpdatedAt": "2026-11-22T08:00:00Z"}),
    )
    assert (status.status_code, status.json()["meta"]) == (200, {"outcome": "updated"})
    got = await client.get("/backoffice/stores/DE/orders/100234")
    assert got.json()["data"]["attributes"]["status"] == "cancelled"


async def test_an_unknown_store_is_007_and_an_unknown_order_1130(ingest):
    _, client = ingest
    customer = await register(client.http)
    unknown_store = await client.post(
        "/backoffice/stores/XX/orders", document("orders", order_attributes(customer["id"]))
    )
    assert (unknown_store.status_code, unknown_store.json()) == (
        404,
        {"errors": [error(404, "007", "Not found.")]},
    )
    unknown_order = await client.patch(
        "/backoffice/stores/DE/orders/nope",
        document("orders", {"status": "cancelled", "sourceUpdatedAt": "2026-11-22T08:00:00Z"}),
    )
    assert (unknown_order.status_code, unknown_order.json()) == (
        404,
        {"errors": [error(404, "1130", "Order not found.")]},
    )


async def test_a_batch_answers_its_counts_and_a_bad_row_refuses_it_whole(ingest):
    app, client = ingest
    customer = await register(client.http)
    rows = [order_attributes(customer["id"], orderNumber=f"B-{index}") for index in range(3)]
    batch = await client.post(
        "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows})
    )
    assert batch.status_code == 200, batch.text
    body = batch.json()["data"]
    assert body["type"] == "order-batches" and "links" not in body
    assert body["attributes"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "stale": 0,
        "results": [{"orderNumber": f"B-{index}", "outcome": "created"} for index in range(3)],
    }
    bad = [
        order_attributes(customer["id"], orderNumber="B-9"),
        order_attributes("DE--999", orderNumber="B-10"),
    ]
    refused = await client.post(
        "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": bad})
    )
    assert (refused.status_code, refused.json()) == (
        422,
        {
            "errors": [
                error(
                    422,
                    "1131",
                    "Customer not found in this store.",
                    "/data/attributes/orders/1/customerReference",
                )
            ]
        },
    )
    listed = await app.state.services.orders.list_for_customer(
        (await app.state.services.orders.get(app.state.services.stores.default, "B-0")).customer_id,
        customer["id"],
    )
    assert [order.order_number for order in listed.orders] == ["B-2", "B-1", "B-0"]


async def test_an_instrument_upsert_and_its_card_data_refusal(ingest):
    app, client = ingest
    customer = await register(client.http)
    attributes = instrument_attributes(customer["id"], providerToken="tok_9")
    created = await client.post(
        "/backoffice/stores/DE/payment-instruments", document("payment-instruments", attributes)
    )
    assert created.status_code == 201, created.text
    instrument_id = created.json()["data"]["id"]
    assert created.headers["location"] == f"http://testserver/backoffice/payment-instruments/{instrument_id}"
    again = await client.post(
        "/backoffice/stores/DE/payment-instruments", document("payment-instruments", attributes)
    )
    assert (again.status_code, again.json()["meta"]) == (200, {"outcome": "unchanged"})
    card = {**attributes, "cardNumber": "4111111111111111"}
    refused = await client.post(
        "/backoffice/stores/DE/payment-instruments", document("payment-instruments", card)
    )
    assert (refused.status_code, refused.json()) == (
        422,
        {
            "errors": [
                error(
                    422,
                    "1140",
                    "Card numbers and security codes must not be sent.",
                    "/data/attributes/cardNumber",
                )
            ]
        },
    )
    assert "4111111111111111" not in refused.text
    got = await client.get(f"/backoffice/payment-instruments/{instrument_id}")
    assert got.json()["data"]["attributes"]["providerToken"] == "tok_9"
    operator = await logged_in_operator(app, client.http, permissions=(R, W))
    remover = Caller(client.http, operator.headers)
    assert (await remover.delete(f"/backoffice/payment-instruments/{instrument_id}")).status_code == 204
    gone = await client.get(f"/backoffice/payment-instruments/{instrument_id}")
    assert (gone.status_code, gone.json()) == (
        404,
        {"errors": [error(404, "1141", "Payment instrument not found.")]},
    )


async def test_a_customers_orders_are_cursor_paged_newest_first_and_filtered_by_status(ingest):
    _, client = ingest
    customer = await register(client.http)
    reference = customer["id"]
    rows = [
        order_attributes(reference, orderNumber=f"L-{index}", orderDate=moment(index), status=status)
        for index, status in enumerate(("new", "shipped", "new", "cancelled", "new"))
    ]
    # Two orders at the same moment: the tie is broken by orderNumber, descending.
    rows.append(order_attributes(reference, orderNumber="L-9", orderDate=moment(4)))
    assert (
        await client.post("/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows}))
    ).status_code == 200
    seen: list[str] = []
    url: str | None = f"/backoffice/customers/{reference}/orders?page[limit]=4"
    while url is not None:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        seen.extend(item["id"] for item in page.json()["data"])
        url = page.json()["links"]["next"]
    assert seen == ["L-9", "L-4", "L-3", "L-2", "L-1", "L-0"]
    first = (await client.get(f"/backoffice/customers/{reference}/orders")).json()
    assert first["data"][0]["attributes"]["customerReference"] == reference
    assert first["data"][0]["links"]["self"] == "http://testserver/backoffice/stores/DE/orders/L-9"
    assert first["links"]["next"] is None
    new_only = await client.get(f"/backoffice/customers/{reference}/orders", params={"filter[status]": "new"})
    assert [item["id"] for item in new_only.json()["data"]] == ["L-9", "L-4", "L-2", "L-0"]


async def test_a_customers_order_list_refuses_an_unknown_customer_a_status_and_a_foreign_cursor(ingest):
    _, client = ingest
    customer = await register(client.http)
    reference = customer["id"]
    rows = [order_attributes(reference, orderNumber=f"C-{index}") for index in range(2)]
    await client.post("/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows}))
    unknown = await client.get("/backoffice/customers/DE--999999/orders")
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"errors": [error(404, "402", "Customer not found.")]},
    )
    bad_query = {"errors": [error(400, "011", "Invalid query parameter.")]}
    for params in ({"filter[status]": "lost"}, {"page[cursor]": "bm9wZQ"}, {"sort": "orderDate"}):
        refused = await client.get(f"/backoffice/customers/{reference}/orders", params=params)
        assert (refused.status_code, refused.json()) == (400, bad_query), params
    following = (await client.get(f"/backoffice/customers/{reference}/orders?page[limit]=1")).json()
    cursor = following["links"]["next"].split("page%5Bcursor%5D=")[1]
    other_filter = await client.get(
        f"/backoffice/customers/{reference}/orders",
        params={"page[cursor]": cursor, "filter[status]": "new"},
    )
    assert (other_filter.status_code, other_filter.json()) == (400, bad_query)


async def test_a_customers_instruments_are_cursor_paged_newest_first_with_provider_data(ingest):
    app, client = ingest
    customer = await register(client.http)
    reference = customer["id"]
    created = []
    for index in range(3):
        response = await client.post(
            "/backoffice/stores/DE/payment-instruments",
            document("payment-instruments", instrument_attributes(reference, providerToken=f"tok_L{index}")),
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["data"]["id"])
    first = await client.get(f"/backoffice/customers/{reference}/payment-instruments?page[limit]=2")
    assert first.status_code == 200, first.text
    second = await client.get(first.json()["links"]["next"])
    assert second.json()["links"]["next"] is None
    listed = first.json()["data"] + second.json()["data"]
    tokens = [item["attributes"]["providerToken"] for item in listed]
    assert sorted(tokens) == ["tok_L0", "tok_L1", "tok_L2"] and len(set(item["id"] for item in listed)) == 3
    moments = [(item["attributes"]["createdAt"], item["id"]) for item in listed]
    assert moments == sorted(moments, reverse=True)
    assert listed[0]["links"]["self"] == f"http://testserver/backoffice/payment-instruments/{listed[0]['id']}"
    unknown = await client.get("/backoffice/customers/DE--999999/payment-instruments")
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"errors": [error(404, "402", "Customer not found.")]},
    )


async def test_an_ingest_request_is_one_audit_entry_naming_the_customers_it_touched(ingest):
    app, client = ingest
    first, second = await register(client.http), await register(client.http)
    rows = [
        order_attributes(second["id"], orderNumber="A-1"),
        order_attributes(first["id"], orderNumber="A-2"),
        order_attributes(first["id"], orderNumber="A-3"),
    ]
    batch = await client.post(
        "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows})
    )
    assert batch.status_code == 200, batch.text
    single = await client.post(
        "/backoffice/stores/DE/orders", document("orders", order_attributes(first["id"]))
    )
    assert single.status_code == 201, single.text
    batches = await _audit_entries(app, "POST /backoffice/stores/{store}/order-batches")
    assert len(batches) == 1 and batches[0]["customer_reference"] is None
    details = batches[0]["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details == {"customerReferences": sorted([first["id"], second["id"]])}
    singles = await _audit_entries(app, "POST /backoffice/stores/{store}/orders")
    assert [entry["customer_reference"] for entry in singles] == [first["id"]]
    refused = await client.post(
        "/backoffice/stores/DE/order-batches",
        document("order-batches", {"orders": [order_attributes("DE--999", orderNumber="A-9")]}),
    )
    assert refused.status_code == 422
    assert len(await _audit_entries(app, "POST /backoffice/stores/{store}/order-batches")) == 1


CARD_REFUSED = "Card numbers and security codes must not be sent."


async def _all_rows_text(app: Starlette) -> str:
    db = app.state.services.db
    dumped = []
    for table in metadata.sorted_tables:
        rows = await db.fetch_all(sa.select(table))
        dumped.extend(str(dict(row._mapping)) for row in rows)
    return "\n".join(dumped)


@pytest.mark.parametrize(
    ("rule", "overrides", "pointer", "secret"),
    [
        (
            "(a) a card attribute name",
            {"securityCode": "sc-737-never-kept"},
            "securityCode",
            "sc-737-never-kept",
        ),
        (
            "(b) a Luhn-valid digit run, nested",
            {"notes": {"text": "4111 1111 1111 1111"}},
            "notes/text",
            "4111 1111 1111 1111",
        ),
        (
            "(c) the provider token is the card",
            {"providerToken": luhn_complete("513659", "5354"), "maskedCardNumber": "513659******5354"},
            "providerToken",
            luhn_complete("513659", "5354"),
        ),
    ],
)
async def test_card_data_sent_over_http_is_1140_and_in_no_table_log_line_or_answer(
    ingest, caplog, rule, overrides, pointer, secret
):
    app, client = ingest
    caplog.set_level(logging.DEBUG)
    customer = await register(client.http)
    attributes = instrument_attributes(customer["id"], **overrides)
    refused = await client.post(
        "/backoffice/stores/DE/payment-instruments", document("payment-instruments", attributes)
    )
    assert (refused.status_code, refused.json()) == (
        422,
        {"errors": [error(422, "1140", CARD_REFUSED, f"/data/attributes/{pointer}")]},
    ), rule
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    for text in (refused.text, await _all_rows_text(app), logged):
        assert secret.replace(" ", "") not in text.replace(" ", "")
    listed = await client.get(f"/backoffice/customers/{customer['id']}/payment-instruments")
    assert listed.json()["data"] == []


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


async def _order_events(client: Caller, reference: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    page = await client.get(
        f"/backoffice/customers/{reference}/history",
        params={"filter[eventType]": "OrderWasAdded,OrderWasUpdated", "page[limit]": 100},
    )
    assert page.status_code == 200, page.text
    return sorted(
        (
            (item["attributes"]["eventType"], item["attributes"]["values"], item["attributes"]["actor"])
            for item in page.json()["data"]
        ),
        key=_canonical,
    )


async def test_a_batch_mixing_created_unchanged_updated_and_stale_rows_answers_and_writes_each(ingest):
    app, client = ingest
    customer = await register(client.http)
    reference = customer["id"]
    for number, minute in (("M-STALE", 60), ("M-SAME", 0), ("M-NEW-STATUS", 0)):
        single = await client.post(
            "/backoffice/stores/DE/orders",
            document(
                "orders", order_attributes(reference, orderNumber=number, sourceUpdatedAt=moment(minute))
            ),
        )
        assert single.status_code == 201, single.text
    rows = [
        order_attributes(reference, orderNumber="M-CREATED", status="processing"),
        order_attributes(reference, orderNumber="M-STALE", status="cancelled", sourceUpdatedAt=moment(0)),
        order_attributes(reference, orderNumber="M-SAME", sourceUpdatedAt=moment(30)),
        order_attributes(
            reference, orderNumber="M-NEW-STATUS", status="returned", sourceUpdatedAt=moment(30)
        ),
    ]
    batch = await client.post(
        "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows})
    )
    assert batch.status_code == 200, batch.text
    attributes = batch.json()["data"]["attributes"]
    assert attributes == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "stale": 1,
        "results": [
            {"orderNumber": "M-CREATED", "outcome": "created"},
            {"orderNumber": "M-STALE", "outcome": "stale"},
            {"orderNumber": "M-SAME", "outcome": "unchanged"},
            {"orderNumber": "M-NEW-STATUS", "outcome": "updated"},
        ],
    }
    stored = {
        number: (await client.get(f"/backoffice/stores/DE/orders/{number}")).json()["data"]["attributes"]
        for number in ("M-CREATED", "M-STALE", "M-SAME", "M-NEW-STATUS")
    }
    assert {number: order["status"] for number, order in stored.items()} == {
        "M-CREATED": "processing",
        "M-STALE": "new",
        "M-SAME": "new",
        "M-NEW-STATUS": "returned",
    }
    # Unchanged keeps only the newer source time; stale keeps its own; updated takes the row's.
    assert stored["M-SAME"]["sourceUpdatedAt"] == "2026-11-20T13:33:00+00:00"
    assert stored["M-SAME"]["updatedAt"] == stored["M-SAME"]["createdAt"]
    assert stored["M-STALE"]["sourceUpdatedAt"] == "2026-11-20T14:03:00+00:00"
    assert stored["M-NEW-STATUS"]["sourceUpdatedAt"] == "2026-11-20T13:33:00+00:00"
    system = {"type": "system", "id": None}
    expected = [
        ("OrderWasAdded", {"orderNumber": number, "status": "new"}, system)
        for number in ("M-STALE", "M-SAME", "M-NEW-STATUS")
    ] + [
        ("OrderWasAdded", {"orderNumber": "M-CREATED", "status": "processing"}, system),
        ("OrderWasUpdated", {"orderNumber": "M-NEW-STATUS", "status": "returned"}, system),
    ]
    assert await _order_events(client, reference) == sorted(expected, key=_canonical)
    orders = app.state.services.orders
    customer_id = (await orders.get(app.state.services.stores.default, "M-CREATED")).customer_id
    aggregates = await orders.aggregates(customer_id)
    assert (aggregates.orders_count, aggregates.transactions_count, aggregates.transactions_amount) == (
        4,
        3,
        3 * 11990,
    )
    assert aggregates == await orders.recomputed_aggregates(customer_id)


async def test_an_order_number_twice_in_a_batch_is_901_at_the_later_row_and_nothing_is_written(ingest):
    app, client = ingest
    customer = await register(client.http)
    reference = customer["id"]
    rows = [
        order_attributes(reference, orderNumber="D-1"),
        order_attributes(reference, orderNumber="D-2"),
        order_attributes(reference, orderNumber="D-1", status="shipped", sourceUpdatedAt=moment(60)),
    ]
    refused = await client.post(
        "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows})
    )
    assert (refused.status_code, refused.json()) == (
        422,
        {
            "errors": [
                error(
                    422,
                    "901",
                    "orderNumber => This value is already used.",
                    "/data/attributes/orders/2/orderNumber",
                )
            ]
        },
    )
    listed = await client.get(f"/backoffice/customers/{reference}/orders")
    assert listed.json()["data"] == []
    assert await _order_events(client, reference) == []


async def _company_with_user(client: httpx.AsyncClient, operator: Any, email: str) -> tuple[str, str]:
    """A company of store DE and the customer with ``email`` as its user: (company id, user id)."""
    created = await _post(
        client,
        "/backoffice/companies",
        document("companies", {"store": "DE", "name": "ACME"}),
        headers=operator.headers,
    )
    company_id: str = created.json()["data"]["id"]
    linked = await _post(
        client,
        f"/backoffice/companies/{company_id}/company-users",
        document("company-users", {"email": email, "salutation": "Mr", "firstName": "J", "lastName": "D"}),
        headers=operator.headers,
    )
    assert linked.status_code == 201, linked.text
    return company_id, linked.json()["data"]["id"]


async def test_an_orders_company_is_the_stores_with_a_user_of_its_customer_kept_as_company_user_id(ingest):
    app, client = ingest
    operator = await logged_in_operator(app, client.http)
    member, stranger = await register(client.http), await register(client.http)
    company_id, company_user_id = await _company_with_user(
        client.http, operator, member["attributes"]["email"]
    )
    rows = [
        order_attributes(member["id"], orderNumber="C-0", companyId=company_id),
        order_attributes(member["id"], orderNumber="C-1", companyId="00000000-0000-4000-8000-000000000009"),
        order_attributes(stranger["id"], orderNumber="C-2", companyId=company_id),
        order_attributes("DE--999", orderNumber="C-3", companyId=company_id),
    ]

    refused = await client.post(
        "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows})
    )
    created = await client.post("/backoffice/stores/DE/orders", document("orders", rows[0]))
    private = await client.post(
        "/backoffice/stores/DE/orders", document("orders", order_attributes(member["id"], orderNumber="C-4"))
    )

    assert (refused.status_code, refused.json()) == (
        422,
        {
            "errors": [
                error(422, "1110", "Company not found in this store.", "/data/attributes/orders/1/companyId"),
                error(
                    422,
                    "1134",
                    "The customer is not a user of this company.",
                    "/data/attributes/orders/2/companyId",
                ),
                error(
                    422,
                    "1131",
                    "Customer not found in this store.",
                    "/data/attributes/orders/3/customerReference",
                ),
            ]
        },
    )
    assert created.status_code == 201, created.text
    attributes = created.json()["data"]["attributes"]
    assert (attributes["companyId"], attributes["companyUserId"]) == (company_id, company_user_id)
    private_attributes = private.json()["data"]["attributes"]
    assert (private_attributes["companyId"], private_attributes["companyUserId"]) == (None, None)
    stored = await app.state.services.db.fetch_all(
        sa.text("SELECT order_number, company_id, company_user_id FROM orders ORDER BY order_number")
    )
    assert [(row[0], row[1], row[2]) for row in stored] == [
        ("C-0", company_id, company_user_id),
        ("C-4", None, None),
    ]


async def test_a_company_order_of_a_user_who_left_takes_status_changes_but_no_new_company_claim(ingest):
    app, client = ingest
    operator = await logged_in_operator(app, client.http)
    member = await register(client.http)
    company_id, company_user_id = await _company_with_user(
        client.http, operator, member["attributes"]["email"]
    )
    attributes = order_attributes(member["id"], orderNumber="L-1", companyId=company_id)
    assert (
        await client.post("/backoffice/stores/DE/orders", document("orders", attributes))
    ).status_code == 201
    removed = await client.http.delete(
        f"/backoffice/company-users/{company_user_id}", headers=operator.headers
    )
    assert removed.status_code == 204, removed.text

    returned = await client.patch(
        "/backoffice/stores/DE/orders/L-1",
        document("orders", {"status": "returned", "sourceUpdatedAt": "2026-11-22T08:00:00Z"}),
    )
    claimed = await client.post(
        "/backoffice/stores/DE/orders",
        document("orders", {**attributes, "status": "delivered", "sourceUpdatedAt": "2026-11-23T08:00:00Z"}),
    )

    assert (returned.status_code, returned.json()["meta"]) == (200, {"outcome": "updated"}), returned.text
    kept = returned.json()["data"]["attributes"]
    assert (kept["status"], kept["companyId"], kept["companyUserId"]) == (
        "returned",
        company_id,
        company_user_id,
    )
    assert (claimed.status_code, claimed.json()) == (
        422,
        {
            "errors": [
                error(
                    422, "1134", "The customer is not a user of this company.", "/data/attributes/companyId"
                )
            ]
        },
    )
