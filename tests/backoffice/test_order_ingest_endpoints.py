"""The back-office ingest endpoints (CB §6.2, §7) through HTTP, on a route table of this test's own:
the back-office face's table, with its ``commerce:write`` rule, is not built yet, so here every
route is public. Parse → service → render, the store from the path."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from app.access import PUBLIC
from app.main import create_app
from app.routing import resource_route, route_templates
from resources.backoffice import orders, payment_instruments
from tests.conftest import empty_tables
from tests.helpers import document, error, patch, post, register
from tests.order_helpers import instrument_attributes, order_attributes

ROUTES = (
    ("/backoffice/stores/{store}/orders", {"POST": (orders.ingest_order, PUBLIC)}),
    ("/backoffice/stores/{store}/order-batches", {"POST": (orders.ingest_order_batch, PUBLIC)}),
    (
        "/backoffice/stores/{store}/orders/{order_number}",
        {"GET": (orders.get_order, PUBLIC), "PATCH": (orders.change_order_status, PUBLIC)},
    ),
    (
        "/backoffice/stores/{store}/payment-instruments",
        {"POST": (payment_instruments.upsert_payment_instrument, PUBLIC)},
    ),
    (
        "/backoffice/payment-instruments/{instrument_id}",
        {
            "GET": (payment_instruments.get_payment_instrument, PUBLIC),
            "DELETE": (payment_instruments.delete_payment_instrument, PUBLIC),
        },
    ),
)


@pytest.fixture
async def ingest(settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    application = create_app(settings)
    for path, handlers in ROUTES:
        application.router.routes.insert(0, resource_route(path, handlers))
    application.state.route_templates = route_templates(application.routes)
    async with application.router.lifespan_context(application):
        await empty_tables(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http


async def test_an_order_is_created_then_unchanged_then_updated_then_stale(ingest):
    _, client = ingest
    customer = await register(client)
    attributes = order_attributes(customer["id"], orderNumber="100234")
    created = await post(client, "/backoffice/stores/DE/orders", document("orders", attributes))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "http://testserver/backoffice/stores/DE/orders/100234"
    assert created.json()["meta"] == {"outcome": "created"}
    assert created.json()["data"]["attributes"]["customerReference"] == customer["id"]
    again = await post(client, "/backoffice/stores/de/orders", document("orders", attributes))
    assert (again.status_code, again.json()["meta"]) == (200, {"outcome": "unchanged"})
    newer = {**attributes, "status": "shipped", "sourceUpdatedAt": "2026-11-21T08:00:00+01:00"}
    updated = await post(client, "/backoffice/stores/DE/orders", document("orders", newer))
    assert (updated.status_code, updated.json()["meta"]) == (200, {"outcome": "updated"})
    stale = await post(client, "/backoffice/stores/DE/orders", document("orders", attributes))
    assert (stale.status_code, stale.json()["meta"]) == (200, {"outcome": "stale"})
    status = await patch(
        client,
        "/backoffice/stores/DE/orders/100234",
        document("orders", {"status": "cancelled", "sourceUpdatedAt": "2026-11-22T08:00:00Z"}),
    )
    assert (status.status_code, status.json()["meta"]) == (200, {"outcome": "updated"})
    got = await client.get("/backoffice/stores/DE/orders/100234")
    assert got.json()["data"]["attributes"]["status"] == "cancelled"


async def test_an_unknown_store_is_007_and_an_unknown_order_1130(ingest):
    _, client = ingest
    customer = await register(client)
    unknown_store = await post(
        client, "/backoffice/stores/XX/orders", document("orders", order_attributes(customer["id"]))
    )
    assert (unknown_store.status_code, unknown_store.json()) == (
        404,
        {"errors": [error(404, "007", "Not found.")]},
    )
    unknown_order = await patch(
        client,
        "/backoffice/stores/DE/orders/nope",
        document("orders", {"status": "cancelled", "sourceUpdatedAt": "2026-11-22T08:00:00Z"}),
    )
    assert (unknown_order.status_code, unknown_order.json()) == (
        404,
        {"errors": [error(404, "1130", "Order not found.")]},
    )


async def test_a_batch_answers_its_counts_and_a_bad_row_refuses_it_whole(ingest):
    app, client = ingest
    customer = await register(client)
    rows = [order_attributes(customer["id"], orderNumber=f"B-{index}") for index in range(3)]
    batch = await post(
        client, "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": rows})
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
    refused = await post(
        client, "/backoffice/stores/DE/order-batches", document("order-batches", {"orders": bad})
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
    _, client = ingest
    customer = await register(client)
    attributes = instrument_attributes(customer["id"], providerToken="tok_9")
    created = await post(
        client, "/backoffice/stores/DE/payment-instruments", document("payment-instruments", attributes)
    )
    assert created.status_code == 201, created.text
    instrument_id = created.json()["data"]["id"]
    assert created.headers["location"] == f"http://testserver/backoffice/payment-instruments/{instrument_id}"
    again = await post(
        client, "/backoffice/stores/DE/payment-instruments", document("payment-instruments", attributes)
    )
    assert (again.status_code, again.json()["meta"]) == (200, {"outcome": "unchanged"})
    card = {**attributes, "cardNumber": "4111111111111111"}
    refused = await post(
        client, "/backoffice/stores/DE/payment-instruments", document("payment-instruments", card)
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
    assert (await client.delete(f"/backoffice/payment-instruments/{instrument_id}")).status_code == 204
    gone = await client.get(f"/backoffice/payment-instruments/{instrument_id}")
    assert (gone.status_code, gone.json()) == (
        404,
        {"errors": [error(404, "1141", "Payment instrument not found.")]},
    )
