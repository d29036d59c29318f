"""BO §4.12: writes, logins and client tokens are audited; refusals with 1000 too (written apart);
GET /backoffice/audit-events filters and pages by cursor, newest first."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.backoffice.helpers import client_token, logged_in_operator, seed_client
from tests.backoffice.test_permission_matrix import ADDRESS, MATRIX
from tests.helpers import JSON_API, document, error, post, registered_customer
from tests.order_helpers import order_fields
from tests.storefront.test_avatars import picture


async def _events(client, headers, query: str = "") -> list[dict]:
    response = await client.get(f"/backoffice/audit-events{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["attributes"] | {"id": item["id"]} for item in response.json()["data"]]


async def test_logins_writes_and_refusals_are_audited_newest_first(app, client):
    admin = await logged_in_operator(app, client)
    reader = await logged_in_operator(app, client, permissions=("customers:read",))
    created = await post(
        client,
        "/backoffice/integration-clients",
        document("integration-clients", {"name": "ERP", "permissions": ["customers:read"]}),
        headers=admin.headers,
    )
    refused = await client.get("/backoffice/audit-events", headers=reader.headers)
    assert refused.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}

    events = await _events(client, admin.headers, "?page[limit]=5")
    assert [(event["action"], event["operatorId"], event["outcome"]) for event in events] == [
        ("GET /backoffice/audit-events", reader.id, "refused"),
        ("POST /backoffice/integration-clients", admin.id, "succeeded"),
        ("POST /backoffice/access-tokens", reader.id, "succeeded"),
        ("CLI create", "cli", "succeeded"),  # the reader, seeded as the CLI seeds operators
        ("POST /backoffice/access-tokens", admin.id, "succeeded"),
    ]
    assert events[1]["details"] == {"clientId": created.json()["data"]["id"]}
    assert events[1]["operatorRole"] == "admin" and events[1]["requestId"]
    assert int(events[0]["id"]) > int(events[1]["id"])


async def test_client_tokens_are_audited_under_the_clients_id(app, client):
    admin = await logged_in_operator(app, client)
    client_id, secret = await seed_client(app)
    await client_token(client, client_id, secret)
    events = await _events(client, admin.headers, f"?filter[operatorId]={client_id}")
    assert [(event["action"], event["operatorRole"]) for event in events] == [
        ("POST /backoffice/token", "client")
    ]


async def test_filters_and_cursor(app, client):
    admin = await logged_in_operator(app, client)
    for _ in range(3):
        await client.get("/backoffice/audit-events?filter[outcome]=refused", headers=admin.headers)
        await logged_in_operator(app, client, permissions=("customers:read",))
    refused = await client.get(
        "/backoffice/audit-events?filter[outcome]=refused&page[limit]=2", headers=admin.headers
    )
    assert refused.json()["data"] == []
    logins = await client.get(
        "/backoffice/audit-events?filter[action]="
        + quote("POST /backoffice/access-tokens")
        + "&page[limit]=3",
        headers=admin.headers,
    )
    page = logins.json()
    assert len(page["data"]) == 3
    rest = await client.get(page["links"]["next"], headers=admin.headers)
    assert len(rest.json()["data"]) == 1 and rest.json()["links"]["next"] is None
    early = await _events(
        client, admin.headers, "?filter[occurredAtTo]=" + quote("2000-01-01T00:00:00+00:00")
    )
    assert early == []
    for bad in ("filter[occurredAtFrom]=2026-01-01T00:00:00", "filter[outcome]=maybe", "page[cursor]=bm9wZQ"):
        response = await client.get(f"/backoffice/audit-events?{bad}", headers=admin.headers)
        assert response.json() == {"errors": [error(400, "011", "Invalid query parameter.")]}, bad


# GLUE_AUDIT_RETENTION_DAYS: the background loop (the delivery worker's) sweeps older entries.
async def _seed_entries(app, ages_in_days: dict[str, float]) -> None:
    from datetime import timedelta

    from app.clock import utc_now
    from app.queries.audit import insert_event

    now = utc_now()
    for name, days in ages_in_days.items():
        await insert_event(
            app.state.services.db,
            {
                "occurred_at": now - timedelta(days=days),
                "operator_id": name,
                "operator_role": "admin",
                "action": "GET /backoffice/operators",
                "outcome": "succeeded",
            },
        )


async def _remaining(app) -> set[str]:
    import sqlalchemy as sa

    rows = await app.state.services.db.fetch_all(sa.text("SELECT operator_id FROM audit_events"))
    return {row[0] for row in rows}


async def test_the_background_loop_sweeps_entries_past_their_retention(app_factory):
    import asyncio

    from tests.conftest import empty_tables

    app = app_factory(audit_retention_days=30, mail_poll_interval=0.05)
    db = app.state.services.db
    await db.connect()
    try:
        await empty_tables(app)
        await _seed_entries(app, {"old": 31, "older": 400, "recent": 29, "today": 0})
    finally:
        await db.disconnect()

    async with app.router.lifespan_context(app):  # the loop's first round sweeps
        # The sweep signals nothing a test could await; as the mail tests do, poll in short steps.
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            remaining = await _remaining(app)
            if "old" not in remaining or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)

    assert remaining == {"recent", "today"}


async def test_a_retention_of_zero_keeps_entries_for_ever(app_factory):
    from app.mail.worker import DeliveryWorker

    app = app_factory(audit_retention_days=0, mail_worker_enabled=False)
    async with app.router.lifespan_context(app):
        await _seed_entries(app, {"ancient": 3650})
        worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
        swept = await worker.sweep_audit_events()
        await worker.close()
        remaining = await _remaining(app)

    assert (swept, remaining) == (0, {"ancient"})


async def test_a_sweep_deletes_in_batches_until_none_is_left(app_factory, monkeypatch):
    from app.mail.worker import DeliveryWorker
    from app.services import audit

    monkeypatch.setattr(audit, "RETENTION_BATCH", 2)
    app = app_factory(audit_retention_days=1, mail_worker_enabled=False)
    async with app.router.lifespan_context(app):
        await _seed_entries(app, {f"old-{index}": 2 + index for index in range(5)} | {"new": 0})
        worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
        swept = await worker.sweep_audit_events()
        await worker.close()
        remaining = await _remaining(app)

    assert (swept, remaining) == (5, {"new"})


# BO §4.12: every successful read naming a customer, sub-resources included, is one audit entry,
# written before the answer. The routes are the permission matrix's, so a new one is walked too.
CUSTOMER_READS = [row for row in MATRIX if row.method == "GET" and "{customer}" in row.path]


@pytest.mark.parametrize("row", CUSTOMER_READS, ids=[row.path for row in CUSTOMER_READS])
async def test_every_read_naming_a_customer_is_audited_once(app, client, row):
    operator = await logged_in_operator(app, client, permissions=("customers:read", "customers:write"))
    customer, _ = await registered_customer(client)
    reference = customer["id"]
    sent = {**operator.headers, "Content-Type": JSON_API}
    address = await client.post(
        f"/backoffice/customers/{reference}/addresses", json=document("addresses", ADDRESS), headers=sent
    )
    transfer = await client.post(
        f"/backoffice/customers/{reference}/points-transfers",
        json=document("points-transfers", {"transferType": "add", "points": "10"}),
        headers=sent,
    )
    avatar = await client.put(
        f"/backoffice/customers/{reference}/avatar",
        content=picture("PNG"),
        headers={**operator.headers, "Content-Type": "image/png"},
    )
    assert (address.status_code, transfer.status_code, avatar.status_code) == (201, 201, 204), avatar.text
    store = app.state.services.stores.default
    await app.state.services.orders.ingest(store, order_fields(reference, orderNumber="A-1"))
    path = (
        row.path.replace("{customer}", reference)
        .replace("{address}", address.json()["data"]["id"])
        .replace("{transfer}", transfer.json()["data"]["id"])
    )
    before = await _entries(app)

    response = await client.get(path, headers=operator.headers)

    assert response.status_code == 200, response.text
    assert (await _entries(app))[len(before) :] == [(f"GET {row.template}", reference, "succeeded")]


async def _entries(app) -> list[tuple[str, str | None, str]]:
    rows = await app.state.services.db.fetch_all(
        sa.text("SELECT action, customer_reference, outcome FROM audit_events ORDER BY id")
    )
    return [(row[0], row[1], row[2]) for row in rows]
