"""The automatic level follows the aggregates in the transaction that changes them (BO §4.3): an
order ingest moves the customer's level with one LevelWasRecalculated; a manual level stays."""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.tables import customer_events, customers
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import document, post, register
from tests.order_helpers import order_fields


async def _level(client, headers, name: str, condition_value: int) -> str:
    response = await post(
        client,
        "/backoffice/levels",
        document(
            "levels", {"store": "DE", "name": name, "conditionValue": condition_value, "rewardPercent": 1}
        ),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    level_id: str = response.json()["data"]["id"]
    return level_id


async def _state(app, reference: str) -> tuple[str | None, bool]:
    row = await app.state.services.db.fetch_one(
        sa.select(customers.c.level_id, customers.c.manually_assigned_level).where(
            customers.c.reference == reference
        )
    )
    return row[0], bool(row[1])


async def _recalculations(app, reference: str) -> list[tuple[str, str | None, dict]]:
    rows = await app.state.services.db.fetch_all(
        sa.select(customer_events.c.actor_type, customer_events.c.actor_id, customer_events.c["values"])
        .where(
            customer_events.c.customer_reference == reference,
            customer_events.c.event_type == "LevelWasRecalculated",
        )
        .order_by(customer_events.c.id)
    )
    # The raw PostgreSQL driver hands JSON back as text.
    return [(row[0], row[1], json.loads(row[2]) if isinstance(row[2], str) else row[2]) for row in rows]


async def test_an_order_moves_the_automatic_level_in_its_transaction(app, client):
    admin = await logged_in_operator(app, client)
    store = app.state.services.stores.default
    silver = await _level(client, admin.headers, "Silver", 10000)
    gold = await _level(client, admin.headers, "Gold", 20000)
    reference = (await register(client))["id"]
    assert await _state(app, reference) == (None, False)

    # 11990 with 490 delivery: 11500 without, silver's 10000 reached.
    await app.state.services.orders.ingest(store, order_fields(reference, orderNumber="L-1"))
    assert await _state(app, reference) == (silver, False)
    await app.state.services.orders.ingest(store, order_fields(reference, orderNumber="L-2"))
    assert await _state(app, reference) == (gold, False)  # 23000
    # Canceled: it stops counting, and the level follows the aggregates down.
    await app.state.services.orders.change_status(
        store,
        "L-2",
        "canceled",
        order_fields(reference, sourceUpdatedAt="2026-11-21T10:00:00+01:00")["source_updated_at"],
    )
    assert await _state(app, reference) == (silver, False)
    assert await _recalculations(app, reference) == [
        ("system", None, {"levelId": silver, "previousLevelId": None}),
        ("system", None, {"levelId": gold, "previousLevelId": silver}),
        ("system", None, {"levelId": silver, "previousLevelId": gold}),
    ]


async def test_a_manual_level_stays_whatever_the_orders(app, client):
    admin = await logged_in_operator(app, client)
    store = app.state.services.stores.default
    await _level(client, admin.headers, "Silver", 10000)
    gold = await _level(client, admin.headers, "Gold", 20000)
    reference = (await register(client))["id"]
    assigned = await post(
        client,
        f"/backoffice/customers/{reference}/level",
        document("level-assignment", {"levelId": gold}),
        headers=admin.headers,
    )
    assert assigned.status_code == 204
    await app.state.services.orders.ingest(store, order_fields(reference, orderNumber="M-1"))
    assert await _state(app, reference) == (gold, True)
    assert await _recalculations(app, reference) == []
