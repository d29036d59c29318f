"""SQL for orders and the customers' transaction aggregates they feed (CB §6).

The aggregate columns of ``customers`` are read and written here only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import as_utc
from app.database import Database
from app.models import Order, OrderItem
from app.queries._common import mapping
from app.tables import COUNTED_STATUSES, customers, orders

__all__ = [
    "Aggregates",
    "CustomerOfStore",
    "customers_by_reference",
    "lock_aggregates",
    "write_aggregates",
    "latest_counted_order_date",
    "find_order",
    "insert_order",
    "replace_order",
    "set_source_updated_at",
    "list_orders",
    "list_orders_after",
    "count_orders",
    "recompute_aggregates",
    "to_stored_time",
]


def to_stored_time(moment: datetime) -> datetime:
    """UTC, as every timestamp is stored (SQLite keeps no offset: a local time would be misread)."""
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class CustomerOfStore:
    id: int
    reference: str
    locale: str | None


@dataclass(frozen=True)
class Aggregates:
    """A customer's aggregate columns (CB §6.3)."""

    orders_count: int = 0
    transactions_count: int = 0
    transactions_amount: int = 0
    transactions_amount_without_delivery_costs: int = 0
    average_transaction_amount: int = 0
    last_transaction_date: datetime | None = None


_AGGREGATE_COLUMNS = (
    "orders_count",
    "transactions_count",
    "transactions_amount",
    "transactions_amount_without_delivery_costs",
    "average_transaction_amount",
    "last_transaction_date",
)


def _aggregates(values: Any) -> Aggregates:
    found = {name: values[name] for name in _AGGREGATE_COLUMNS}
    if found["last_transaction_date"] is not None:
        found["last_transaction_date"] = as_utc(found["last_transaction_date"])
    return Aggregates(**found)


async def customers_by_reference(
    db: Database, store: str, references: list[str]
) -> dict[str, CustomerOfStore]:
    rows = await db.fetch_all(
        sa.select(customers.c.id, customers.c.reference, customers.c.locale).where(
            customers.c.store == store, customers.c.reference.in_(references)
        )
    )
    return {row[1]: CustomerOfStore(row[0], row[1], row[2]) for row in rows}


async def lock_aggregates(db: Database, customer_id: int) -> Aggregates:
    """Read the aggregates and lock the customer row (PostgreSQL) for the rest of the transaction:
    every order write of one customer applies after the one before it."""
    row = await db.fetch_one(
        sa.select(*(customers.c[name] for name in _AGGREGATE_COLUMNS))
        .where(customers.c.id == customer_id)
        .with_for_update()
    )
    return _aggregates(mapping(row))


async def write_aggregates(db: Database, customer_id: int, aggregates: Aggregates) -> None:
    values = {name: getattr(aggregates, name) for name in _AGGREGATE_COLUMNS}
    await db.execute(customers.update().where(customers.c.id == customer_id).values(**values))


_COUNTED = orders.c.status.in_(COUNTED_STATUSES)


async def latest_counted_order_date(db: Database, customer_id: int) -> datetime | None:
    """One probe of ``ix_orders_customer_last_counted``."""
    row = await db.fetch_one(
        sa.select(orders.c.order_date)
        .where(orders.c.customer_id == customer_id, _COUNTED)
        .order_by(orders.c.order_date.desc())
        .limit(1)
    )
    return as_utc(row[0]) if row else None


def _items(stored: Any) -> tuple[OrderItem, ...]:
    if isinstance(stored, str):  # asyncpg hands JSON back as text
        stored = json.loads(stored)
    return tuple(
        OrderItem(sku=item["sku"], name=item["name"], quantity=item["quantity"], unit_price=item["unitPrice"])
        for item in stored
    )


def _order(values: Any, reference: str) -> Order:
    return Order(
        store=values["store"],
        order_number=values["order_number"],
        customer_id=values["customer_id"],
        customer_reference=reference,
        order_date=as_utc(values["order_date"]),
        status=values["status"],
        currency_iso_code=values["currency"],
        grand_total=values["grand_total"],
        delivery_costs=values["delivery_costs"],
        items=_items(values["items"]),
        locale=values["locale"],
        company_id=values["company_id"],
        company_user_id=values["company_user_id"],
        source_updated_at=as_utc(values["source_updated_at"]),
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
    )


def _stored_items(items: tuple[OrderItem, ...]) -> list[dict[str, Any]]:
    return [
        {"sku": item.sku, "name": item.name, "quantity": item.quantity, "unitPrice": item.unit_price}
        for item in items
    ]


def _row_values(order: Order) -> dict[str, Any]:
    return {
        "store": order.store,
        "order_number": order.order_number,
        "customer_id": order.customer_id,
        "order_date": to_stored_time(order.order_date),
        "status": order.status,
        "currency": order.currency_iso_code,
        "grand_total": order.grand_total,
        "delivery_costs": order.delivery_costs,
        "items": _stored_items(order.items),
        "locale": order.locale,
        "company_id": order.company_id,
        "company_user_id": order.company_user_id,
        "source_updated_at": to_stored_time(order.source_updated_at),
        "created_at": to_stored_time(order.created_at),
        "updated_at": to_stored_time(order.updated_at),
    }


_ORDER_AND_REFERENCE = sa.select(orders, customers.c.reference).join(
    customers, customers.c.id == orders.c.customer_id
)


async def find_order(
    db: Database, store: str, order_number: str, *, customer_id: int | None = None, lock: bool = False
) -> Order | None:
    query = _ORDER_AND_REFERENCE.where(orders.c.store == store, orders.c.order_number == order_number)
    if customer_id is not None:
        query = query.where(orders.c.customer_id == customer_id)
    if lock:
        query = query.with_for_update(of=orders)
    row = await db.fetch_one(query)
    if row is None:
        return None
    values = mapping(row)
    return _order(values, values["reference"])


async def insert_order(db: Database, order: Order) -> bool:
    """Insert unless (store, order_number) exists, committed or not: True when this call made it."""
    values = _row_values(order)
    dialect_insert = postgresql.insert if not db.is_sqlite else sqlite.insert
    row = await db.fetch_one(
        dialect_insert(orders)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["store", "order_number"])
        .returning(orders.c.id)
    )
    return row is not None


async def replace_order(db: Database, order: Order) -> None:
    values = _row_values(order)
    for key in ("store", "order_number", "customer_id", "created_at"):
        values.pop(key)
    await db.execute(
        orders.update()
        .where(orders.c.store == order.store, orders.c.order_number == order.order_number)
        .values(**values)
    )


async def set_source_updated_at(db: Database, store: str, order_number: str, moment: datetime) -> None:
    await db.execute(
        orders.update()
        .where(orders.c.store == store, orders.c.order_number == order_number)
        .values(source_updated_at=to_stored_time(moment))
    )


def _customer_orders(customer_id: int, status: str | None) -> Any:
    condition = orders.c.customer_id == customer_id
    return condition if status is None else sa.and_(condition, orders.c.status == status)


async def list_orders(
    db: Database,
    customer_id: int,
    reference: str,
    *,
    status: str | None,
    newest_first: bool,
    offset: int,
    limit: int,
) -> list[Order]:
    """A page in ``(order_date, order_number)`` order, served by ``ix_orders_customer_list``."""
    ordering = (
        (orders.c.order_date.desc(), orders.c.order_number.desc())
        if newest_first
        else (orders.c.order_date.asc(), orders.c.order_number.asc())
    )
    rows = await db.fetch_all(
        sa.select(orders)
        .where(_customer_orders(customer_id, status))
        .order_by(*ordering)
        .offset(offset)
        .limit(limit)
    )
    return [_order(mapping(row), reference) for row in rows]


async def list_orders_after(
    db: Database,
    customer_id: int,
    reference: str,
    *,
    status: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Order]:
    """Newest first from just after ``after`` (an ``(order_date, order_number)`` keyset position),
    served by ``ix_orders_customer_list`` without counting the rows before it."""
    condition = _customer_orders(customer_id, status)
    if after is not None:
        moment, number = to_stored_time(after[0]), after[1]
        condition = sa.and_(
            condition,
            sa.or_(
                orders.c.order_date < moment,
                sa.and_(orders.c.order_date == moment, orders.c.order_number < number),
            ),
        )
    rows = await db.fetch_all(
        sa.select(orders)
        .where(condition)
        .order_by(orders.c.order_date.desc(), orders.c.order_number.desc())
        .limit(limit)
    )
    return [_order(mapping(row), reference) for row in rows]


async def count_orders(db: Database, customer_id: int, status: str | None) -> int:
    """All of a customer's orders from its ``orders_count``; with a status filter, counted."""
    if status is None:
        row = await db.fetch_one(sa.select(customers.c.orders_count).where(customers.c.id == customer_id))
        return int(row[0]) if row else 0
    row = await db.fetch_one(
        sa.select(sa.func.count()).select_from(orders).where(_customer_orders(customer_id, status))
    )
    return int(row[0])


async def recompute_aggregates(db: Database, customer_id: int) -> Aggregates:
    """The aggregates as the orders table says they are (a check on the incremental ones)."""
    row = await db.fetch_one(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(_COUNTED),
            sa.func.coalesce(sa.func.sum(orders.c.grand_total).filter(_COUNTED), 0),
            sa.func.coalesce(sa.func.sum(orders.c.grand_total - orders.c.delivery_costs).filter(_COUNTED), 0),
        ).where(orders.c.customer_id == customer_id)
    )
    count, counted_count, amount, without_delivery = (int(row[index]) for index in range(4))
    return Aggregates(
        orders_count=count,
        transactions_count=counted_count,
        transactions_amount=amount,
        transactions_amount_without_delivery_costs=without_delivery,
        average_transaction_amount=(2 * amount + counted_count) // (2 * counted_count)
        if counted_count
        else 0,
        last_transaction_date=await latest_counted_order_date(db, customer_id),
    )
