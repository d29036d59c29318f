"""The orders domain (CB §6.2, §6.3): upsert outcomes, refusals, concurrency, and aggregates that
always equal a recomputation from the orders table."""

from __future__ import annotations

import asyncio
import random

import pytest
import sqlalchemy as sa

from app.queries.orders import Aggregates
from app.tables import customers, orders
from errors import ApiError
from tests.helpers import error, register
from tests.order_helpers import moment, order_fields


def store(app):
    return app.state.services.stores.default


def service(app):
    return app.state.services.orders


async def customer_id(app, reference):
    row = await app.state.services.db.fetch_one(
        sa.select(customers.c.id).where(customers.c.reference == reference)
    )
    return row[0]


def problems(refusal: ApiError):
    from app.jsonapi import error_document

    return error_document(refusal)["errors"]


async def order_rows(app):
    rows = await app.state.services.db.fetch_all(sa.select(orders.c.order_number, orders.c.status))
    return [(row[0], row[1]) for row in rows]


class TestUpsert:
    async def test_a_new_order_is_created_and_counted(self, app, client):
        customer = await register(client)
        result = await service(app).ingest(store(app), order_fields(customer["id"], orderNumber="100234"))
        assert result.outcome == "created"
        assert result.order.order_date.isoformat() == "2026-11-20T13:03:00+00:00"
        assert result.order.locale == "en_US"  # absent: the customer's
        aggregates = await service(app).aggregates(await customer_id(app, customer["id"]))
        assert aggregates == Aggregates(1, 1, 11990, 11500, 11990, result.order.order_date)

    async def test_the_same_content_again_is_unchanged_and_keeps_the_newer_source_time(self, app, client):
        customer = await register(client)
        await service(app).ingest(store(app), order_fields(customer["id"], orderNumber="A-1"))
        again = await service(app).ingest(
            store(app), order_fields(customer["id"], orderNumber="A-1", sourceUpdatedAt=moment(60))
        )
        assert again.outcome == "unchanged"
        assert again.order.source_updated_at.isoformat() == moment(60)
        aggregates = await service(app).aggregates(await customer_id(app, customer["id"]))
        assert (aggregates.orders_count, aggregates.transactions_count) == (1, 1)

    async def test_other_content_with_a_newer_source_time_is_updated(self, app, client):
        customer = await register(client)
        await service(app).ingest(store(app), order_fields(customer["id"], orderNumber="A-1"))
        updated = await service(app).ingest(
            store(app),
            order_fields(
                customer["id"],
                orderNumber="A-1",
                totals={"grandTotal": 20000, "deliveryCosts": 0},
                sourceUpdatedAt=moment(60),
            ),
        )
        assert updated.outcome == "updated"
        aggregates = await service(app).aggregates(await customer_id(app, customer["id"]))
        assert aggregates.transactions_amount == 20000 and aggregates.orders_count == 1

    async def test_an_older_source_time_is_stale_and_writes_nothing(self, app, client):
        customer = await register(client)
        await service(app).ingest(
            store(app), order_fields(customer["id"], orderNumber="A-1", sourceUpdatedAt=moment(60))
        )
        stale = await service(app).ingest(
            store(app),
            order_fields(customer["id"], orderNumber="A-1", status="cancelled", sourceUpdatedAt=moment(0)),
        )
        assert stale.outcome == "stale" and stale.order.status == "new"
        assert await order_rows(app) == [("A-1", "new")]

    async def test_another_customers_order_is_refused_with_1132(self, app, client):
        owner, other = await register(client), await register(client)
        await service(app).ingest(store(app), order_fields(owner["id"], orderNumber="A-1"))
        with pytest.raises(ApiError) as refused:
            await service(app).ingest(
                store(app), order_fields(other["id"], orderNumber="A-1", sourceUpdatedAt=moment(60))
            )
        assert problems(refused.value) == [
            error(409, "1132", "The record belongs to another customer.", "/data/attributes/orderNumber")
        ]
        aggregates = await service(app).aggregates(await customer_id(app, other["id"]))
        assert aggregates == Aggregates()

    async def test_unknown_customer_wrong_currency_locale_and_company_are_refused_together(self, app, client):
        with pytest.raises(ApiError) as refused:
            await service(app).ingest(
                store(app),
                order_fields("DE--999", currencyIsoCode="CHF", locale="fr_FR", companyId="c-1"),
            )
        assert problems(refused.value) == [
            error(422, "1131", "Customer not found in this store.", "/data/attributes/customerReference"),
            error(
                422,
                "1133",
                "Currency does not match the store's currency.",
                "/data/attributes/currencyIsoCode",
            ),
            error(
                422,
                "901",
                "locale => The value you selected is not a valid choice.",
                "/data/attributes/locale",
            ),
            error(422, "1110", "Company not found in this store.", "/data/attributes/companyId"),
        ]
        assert await order_rows(app) == []

    async def test_a_status_change_is_an_upsert_of_the_stored_order(self, app, client):
        customer = await register(client)
        await service(app).ingest(store(app), order_fields(customer["id"], orderNumber="A-1"))
        changed = await service(app).change_status(
            store(app), "A-1", "cancelled", order_fields("x")["source_updated_at"].replace(hour=23)
        )
        assert (changed.outcome, changed.order.status) == ("updated", "cancelled")
        aggregates = await service(app).aggregates(await customer_id(app, customer["id"]))
        assert aggregates == Aggregates(orders_count=1)

    async def test_a_status_change_of_an_unknown_order_is_1130(self, app, client):
        with pytest.raises(ApiError) as refused:
            await service(app).change_status(
                store(app), "nope", "cancelled", order_fields("x")["source_updated_at"]
            )
        assert problems(refused.value) == [error(404, "1130", "Order not found.")]


class TestBatch:
    async def test_a_batch_reports_each_outcome(self, app, client):
        customer = await register(client)
        await service(app).ingest(store(app), order_fields(customer["id"], orderNumber="A-1"))
        results = await service(app).ingest_batch(
            store(app),
            [
                order_fields(customer["id"], orderNumber="A-1"),
                order_fields(customer["id"], orderNumber="A-2"),
            ],
        )
        assert [(result.order.order_number, result.outcome) for result in results] == [
            ("A-1", "unchanged"),
            ("A-2", "created"),
        ]

    async def test_a_bad_row_refuses_the_batch_with_every_rows_errors_and_writes_nothing(self, app, client):
        owner, other = await register(client), await register(client)
        await service(app).ingest(store(app), order_fields(other["id"], orderNumber="THEIRS"))
        with pytest.raises(ApiError) as refused:
            await service(app).ingest_batch(
                store(app),
                [
                    order_fields(owner["id"], orderNumber="A-1"),
                    order_fields(owner["id"], orderNumber="THEIRS"),
                    order_fields(owner["id"], orderNumber="A-3"),
                ],
            )
        assert refused.value.status == 422
        assert problems(refused.value) == [
            error(
                409,
                "1132",
                "The record belongs to another customer.",
                "/data/attributes/orders/1/orderNumber",
            )
        ]
        assert await order_rows(app) == [("THEIRS", "new")]
        assert await service(app).aggregates(await customer_id(app, owner["id"])) == Aggregates()


async def test_the_same_new_order_ingested_in_parallel_makes_one_row_counted_once(app, client, is_postgres):
    customer = await register(client)
    fields = order_fields(customer["id"], orderNumber="RACE-1")
    results = await asyncio.gather(*(service(app).ingest(store(app), dict(fields)) for _ in range(12)))
    assert sorted(result.outcome for result in results) == ["created"] + ["unchanged"] * 11
    assert len(await order_rows(app)) == 1
    identifier = await customer_id(app, customer["id"])
    assert (await service(app).aggregates(identifier)).transactions_count == 1
    assert await service(app).aggregates(identifier) == await service(app).recomputed_aggregates(identifier)


async def test_aggregates_equal_a_recomputation_after_random_ingest_sequences(app, client):
    """Property-style: random creates, status changes (to cancelled and back), new totals, dates
    moved back and stale replays, on two customers; after every step the incremental aggregates
    equal those recomputed from the orders table."""
    references = [(await register(client))["id"] for _ in range(2)]
    identifiers = [await customer_id(app, reference) for reference in references]
    statuses = ("new", "processing", "shipped", "delivered", "cancelled", "returned")
    for seed in range(6):
        generator = random.Random(seed)
        known: dict[str, tuple[str, int]] = {}  # order number → (reference, source minute)
        for step in range(25):
            number = f"S{seed}-{generator.randrange(8)}"
            reference, last_minute = known.get(number, (generator.choice(references), 0))
            minute = last_minute + generator.choice((-1, 0, 1, 5))
            grand_total = generator.randrange(0, 50_000)
            fields = order_fields(
                reference,
                orderNumber=number,
                status=generator.choice(statuses),
                orderDate=moment(generator.randrange(-10_000, 10_000)),
                totals={"grandTotal": grand_total, "deliveryCosts": generator.randrange(0, grand_total + 1)},
                sourceUpdatedAt=moment(minute),
            )
            result = await service(app).ingest(store(app), fields)
            if result.outcome != "stale":
                known[number] = (reference, max(minute, last_minute))
            for identifier in identifiers:
                incremental = await service(app).aggregates(identifier)
                assert incremental == await service(app).recomputed_aggregates(identifier), (seed, step)


async def test_aggregates_equal_a_recomputation_after_random_batches(app, client):
    """Property-style, the batch path: random batches (new orders, status changes to cancelled and
    back, new totals, dates moved back, unchanged and stale replays) over three customers, each
    order number once per batch; after every batch the incremental aggregates equal those
    recomputed from the orders table, and each outcome is the one a single upsert would give."""
    references = [(await register(client))["id"] for _ in range(3)]
    identifiers = [await customer_id(app, reference) for reference in references]
    statuses = ("new", "processing", "shipped", "delivered", "cancelled", "returned")
    for seed in range(4):
        generator = random.Random(100 + seed)
        known: dict[str, tuple[str, int]] = {}  # order number → (reference, source minute)
        for step in range(8):
            numbers = generator.sample(
                [f"R{seed}-{index}" for index in range(30)], generator.randrange(1, 16)
            )
            batch = []
            expected = []
            for number in numbers:
                reference, last_minute = known.get(number, (generator.choice(references), 0))
                minute = last_minute + generator.choice((-1, 0, 1, 5))
                grand_total = generator.randrange(0, 50_000)
                batch.append(
                    order_fields(
                        reference,
                        orderNumber=number,
                        status=generator.choice(statuses),
                        orderDate=moment(generator.randrange(-10_000, 10_000)),
                        totals={
                            "grandTotal": grand_total,
                            "deliveryCosts": generator.randrange(0, grand_total + 1),
                        },
                        sourceUpdatedAt=moment(minute),
                    )
                )
                if number not in known:
                    expected.append("created")
                    known[number] = (reference, minute)
                elif minute < last_minute:
                    expected.append("stale")
                else:
                    expected.append("updated")  # new random content: "unchanged" is ruled out below
                    known[number] = (reference, minute)
            results = await service(app).ingest_batch(store(app), batch)
            assert [result.order.order_number for result in results] == numbers
            assert [result.outcome for result in results] == expected, (seed, step)
            replay = await service(app).ingest_batch(store(app), batch)
            assert {result.outcome for result in replay} <= {"unchanged", "stale"}, (seed, step)
            for identifier in identifiers:
                incremental = await service(app).aggregates(identifier)
                assert incremental == await service(app).recomputed_aggregates(identifier), (seed, step)


async def test_parallel_batches_with_the_same_new_orders_make_one_row_each_counted_once(
    app, client, is_postgres
):
    if not is_postgres:
        pytest.skip("SQLite runs one writer at a time: there is no race to lose")
    first, second = (await register(client))["id"], (await register(client))["id"]
    # The same orders in opposite row orders, over both customers: batches lock customers in
    # ascending id order and insert in order-number order, so none deadlocks.
    rows = [order_fields(first if index % 2 else second, orderNumber=f"P-{index}") for index in range(20)]
    batches = [rows if attempt % 2 else list(reversed(rows)) for attempt in range(8)]
    results = await asyncio.gather(*(service(app).ingest_batch(store(app), batch) for batch in batches))
    outcomes = sorted(result.outcome for batch_results in results for result in batch_results)
    assert outcomes == ["created"] * 20 + ["unchanged"] * 140
    assert len(await order_rows(app)) == 20
    for reference in (first, second):
        identifier = await customer_id(app, reference)
        aggregates = await service(app).aggregates(identifier)
        assert (aggregates.orders_count, aggregates.transactions_count) == (10, 10)
        assert aggregates == await service(app).recomputed_aggregates(identifier)


async def test_a_batch_refuses_a_row_past_bigint_and_another_customers_row_in_row_order(app, client):
    full, owner = (await register(client))["id"], (await register(client))["id"]
    await service(app).ingest(store(app), order_fields(owner, orderNumber="THEIRS"))
    full_id = await customer_id(app, full)
    await app.state.services.db.execute(
        customers.update().where(customers.c.id == full_id).values(transactions_amount=2**63 - 100)
    )
    with pytest.raises(ApiError) as refused:
        await service(app).ingest_batch(
            store(app),
            [
                order_fields(full, orderNumber="OVER"),
                order_fields(full, orderNumber="THEIRS", sourceUpdatedAt=moment(60)),
            ],
        )
    assert problems(refused.value) == [
        error(
            422,
            "901",
            "grandTotal => This value is not valid.",
            "/data/attributes/orders/0/totals/grandTotal",
        ),
        error(
            409, "1132", "The record belongs to another customer.", "/data/attributes/orders/1/orderNumber"
        ),
    ]
    assert await order_rows(app) == [("THEIRS", "new")]
    assert (await service(app).aggregates(full_id)).orders_count == 0
