"""SQL for orders and the customers' transaction aggregates they feed (CB §6).

The aggregate columns of ``customers`` are read and written here only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from app.clock import as_utc
from app.database import Database
from app.models import Order, OrderItem
from app.queries._common import mapping
from app.tables import COUNTED_STATUSES, companies, company_users, customer_events, customers, orders

__all__ = [
    "Aggregates",
    "CustomerOfStore",
    "customers_by_reference",
    "OrderCompanies",
    "order_companies",
    "lock_aggregates",
    "write_aggregates",
    "latest_counted_order_date",
    "find_order",
    "replace_order",
    "list_orders",
    "list_orders_after",
    "count_orders",
    "list_company_orders",
    "count_company_orders",
    "recompute_aggregates",
    "to_stored_time",
    "AggregatesChange",
    "HistoryRow",
    "lock_customers",
    "find_orders",
    "insert_orders",
    "replace_orders",
    "write_aggregates_of",
    "insert_history_events",
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


@dataclass(frozen=True)
class OrderCompanies:
    """Which of a batch's ``companyId`` values are companies of the store, and the company user of
    each (company, customer) pair that has one."""

    known: frozenset[str] = frozenset()
    users: dict[tuple[str, int], str] = field(default_factory=dict)


async def order_companies(
    db: Database, store: str, company_ids: list[str], customer_ids: list[int]
) -> OrderCompanies:
    """One statement for a whole batch: the store's companies among ``company_ids``, each with its
    users among ``customer_ids`` (none asked: nothing read)."""
    if not company_ids:
        return OrderCompanies()
    membership = sa.and_(
        company_users.c.company_id == companies.c.id, company_users.c.customer_id.in_(customer_ids)
    )
    rows = await db.fetch_all(
        sa.select(companies.c.id, company_users.c.customer_id, company_users.c.id)
        .select_from(companies.outerjoin(company_users, membership))
        .where(companies.c.store == store, companies.c.id.in_(company_ids))
    )
    return OrderCompanies(
        known=frozenset(row[0] for row in rows),
        users={(row[0], row[1]): row[2] for row in rows if row[2] is not None},
    )


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


async def replace_order(db: Database, order: Order) -> None:
    values = _row_values(order)
    for key in ("store", "order_number", "customer_id", "created_at"):
        values.pop(key)
    await db.execute(
        orders.update()
        .where(orders.c.store == order.store, orders.c.order_number == order.order_number)
        .values(**values)
    )


def _customer_orders(customer_id: int, status: str | None) -> Any:
    return _orders_where(orders.c.customer_id == customer_id, status)


def _orders_where(condition: Any, status: str | None) -> Any:
    return condition if status is None else sa.and_(condition, orders.c.status == status)


async def _offset_page(
    db: Database, condition: Any, reference: str | None, newest_first: bool, offset: int, limit: int | None
) -> list[Order]:
    """Orders matching ``condition`` in ``(order_date, order_number)`` order, one offset page (``limit``
    None: to the end); with no ``reference`` each order's customer reference is read with it."""
    ordering = (
        (orders.c.order_date.desc(), orders.c.order_number.desc())
        if newest_first
        else (orders.c.order_date.asc(), orders.c.order_number.asc())
    )
    query = sa.select(orders) if reference is not None else _ORDER_AND_REFERENCE
    rows = await db.fetch_all(query.where(condition).order_by(*ordering).offset(offset).limit(limit))
    found = [mapping(row) for row in rows]
    return [_order(values, values["reference"] if reference is None else reference) for values in found]


async def list_orders(
    db: Database,
    customer_id: int,
    reference: str,
    *,
    status: str | None,
    newest_first: bool,
    offset: int,
    limit: int | None,
) -> list[Order]:
    """A page in ``(order_date, order_number)`` order, served by ``ix_orders_customer_list``."""
    condition = _customer_orders(customer_id, status)
    return await _offset_page(db, condition, reference, newest_first, offset, limit)


async def list_company_orders(
    db: Database, company_id: str, *, status: str | None, newest_first: bool, offset: int, limit: int
) -> list[Order]:
    """The orders ingested with this ``companyId``, a page as ``list_orders``'s, served by
    ``ix_orders_company_list``."""
    condition = _orders_where(orders.c.company_id == company_id, status)
    return await _offset_page(db, condition, None, newest_first, offset, limit)


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
    return await _count(db, _customer_orders(customer_id, status))


async def count_company_orders(db: Database, company_id: str, status: str | None) -> int:
    """The company's orders (of one status), counted on ``ix_orders_company_list``."""
    return await _count(db, _orders_where(orders.c.company_id == company_id, status))


async def _count(db: Database, condition: Any) -> int:
    row = await db.fetch_one(sa.select(sa.func.count()).select_from(orders).where(condition))
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


# -- the set-based write of an ingest (CB §6.2): a fixed number of statements whatever the rows ------
#
# On PostgreSQL each statement below is one fixed text taking one array per column (``unnest``), so
# asyncpg prepares it once per connection, and neither SQLAlchemy's compiler nor a statement with
# thousands of placeholders is paid per batch. SQLite takes the same steps through SQLAlchemy Core.

_COUNTED_SQL = "status IN (" + ", ".join(f"'{status}'" for status in COUNTED_STATUSES) + ")"

_LOCK_CUSTOMERS = (
    "SELECT id, " + ", ".join(_AGGREGATE_COLUMNS) + " FROM customers"  # noqa: S608 - our names
    " WHERE id = ANY($1::integer[]) ORDER BY id FOR UPDATE"
)

_FIND_ORDERS = (
    "SELECT orders.*, customers.reference FROM orders JOIN customers ON customers.id = orders.customer_id"
    " WHERE orders.store = $1 AND orders.order_number = ANY($2::text[])"
)

# Every column but store and order_number, in this order, in the insert's and the update's arrays.
_WRITTEN_COLUMNS = (
    ("customer_id", "integer"),
    ("order_date", "timestamptz"),
    ("status", "text"),
    ("currency", "text"),
    ("grand_total", "bigint"),
    ("delivery_costs", "bigint"),
    ("items", "json"),
    ("locale", "text"),
    ("company_id", "text"),
    ("company_user_id", "text"),
    ("source_updated_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)
_ARRAYS = ", ".join(
    ["$2::text[]"] + [f"${index + 3}::{kind}[]" for index, (_, kind) in enumerate(_WRITTEN_COLUMNS)]
)
_ROW_NAMES = ", ".join(["order_number"] + [name for name, _ in _WRITTEN_COLUMNS])

_INSERT_ORDERS = (
    f"INSERT INTO orders (store, {_ROW_NAMES})"  # noqa: S608 - our names
    f" SELECT $1, given.* FROM unnest({_ARRAYS}) AS given({_ROW_NAMES})"
    " ON CONFLICT (store, order_number) DO NOTHING RETURNING order_number"
)

_UPDATE_ORDERS = (
    "UPDATE orders SET "  # noqa: S608 - our column names
    + ", ".join(
        f"{name} = given.{name}" for name, _ in _WRITTEN_COLUMNS if name not in ("customer_id", "created_at")
    )
    + f" FROM unnest({_ARRAYS}) AS given({_ROW_NAMES})"
    " WHERE orders.store = $1 AND orders.order_number = given.order_number"
)

_WRITE_AGGREGATES = (
    "UPDATE customers SET "  # noqa: S608 - our column names
    + ", ".join(f"{name} = given.{name}" for name in _AGGREGATE_COLUMNS if name != "last_transaction_date")
    + ", last_transaction_date = CASE"  # noqa: S608 - our column names
    "  WHEN given.probe THEN (SELECT max(orders.order_date) FROM orders"
    f" WHERE orders.customer_id = customers.id AND orders.{_COUNTED_SQL})"
    " ELSE given.last_transaction_date END"
    " FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],"
    " $7::timestamptz[], $8::boolean[]) AS given(id, " + ", ".join(_AGGREGATE_COLUMNS) + ", probe)"
    " WHERE customers.id = given.id RETURNING customers.id, customers.last_transaction_date"
)

_INSERT_EVENTS = (
    "INSERT INTO customer_events (customer_id, customer_reference, event_type, actor_type, actor_id,"
    ' changed_fields, "values", created_at) SELECT * FROM unnest($1::integer[], $2::text[], $3::text[],'
    " $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])"
)


async def _fetch_raw(db: Database, sql: str, *arguments: Any) -> list[Any]:
    """PostgreSQL: one of the fixed statements above, straight to asyncpg (prepared once)."""
    async with db.connection() as connection:
        return list(await connection.raw_connection.fetch(sql, *arguments))


@dataclass(frozen=True)
class AggregatesChange:
    """A customer's aggregates after a write; ``probe``: re-read lastTransactionDate from the orders
    (the latest counted order stopped counting or moved back)."""

    customer_id: int
    aggregates: Aggregates
    probe: bool


@dataclass(frozen=True)
class HistoryRow:
    customer_id: int
    customer_reference: str
    event_type: str
    values: dict[str, Any]
    created_at: datetime


async def lock_customers(db: Database, customer_ids: list[int]) -> dict[int, Aggregates]:
    """Lock the customers' rows in ascending id order, in one statement (no two writers of the same
    customers can deadlock), and read their aggregates."""
    if db.is_sqlite:  # one writer at a time: the file lock is the customer lock
        rows = await db.fetch_all(
            sa.select(customers.c.id, *(customers.c[name] for name in _AGGREGATE_COLUMNS))
            .where(customers.c.id.in_(customer_ids))
            .order_by(customers.c.id)
        )
    else:
        rows = await _fetch_raw(db, _LOCK_CUSTOMERS, customer_ids)
    return {int(mapping(row)["id"]): _aggregates(mapping(row)) for row in rows}


async def find_orders(db: Database, store: str, order_numbers: list[str]) -> dict[str, Order]:
    """The stored orders among ``order_numbers``, by number, in one statement."""
    if not order_numbers:
        return {}
    if db.is_sqlite:
        rows = await db.fetch_all(
            _ORDER_AND_REFERENCE.where(orders.c.store == store, orders.c.order_number.in_(order_numbers))
        )
    else:
        rows = await _fetch_raw(db, _FIND_ORDERS, store, order_numbers)
    found = [mapping(row) for row in rows]
    return {values["order_number"]: _order(values, values["reference"]) for values in found}


def _column_arrays(rows: list[Order]) -> list[list[Any]]:
    """The orders as one array per column (order_number, then ``_WRITTEN_COLUMNS``)."""
    values = [_row_values(order) for order in rows]
    for row in values:
        row["items"] = json.dumps(row["items"])
    return [[row["order_number"] for row in values]] + [
        [row[name] for row in values] for name, _ in _WRITTEN_COLUMNS
    ]


async def insert_orders(db: Database, store: str, new_orders: list[Order]) -> set[str]:
    """Insert the orders unless their (store, order_number) exists, committed or not, in one
    statement (in order-number order, so two batches wait on each other's rows in one order): the
    numbers this call made."""
    if not new_orders:
        return set()
    ordered = sorted(new_orders, key=lambda order: order.order_number)
    if db.is_sqlite:
        rows = await db.fetch_all(
            sqlite.insert(orders)
            .values([_row_values(order) for order in ordered])
            .on_conflict_do_nothing(index_elements=["store", "order_number"])
            .returning(orders.c.order_number)
        )
    else:
        rows = await _fetch_raw(db, _INSERT_ORDERS, store, *_column_arrays(ordered))
    return {row[0] for row in rows}


async def replace_orders(db: Database, store: str, changed: list[Order]) -> None:
    """Write every attribute of the orders (``created_at`` and the customer stay), in one statement."""
    if not changed:
        return
    ordered = sorted(changed, key=lambda order: order.order_number)
    if db.is_sqlite:
        for order in ordered:
            await replace_order(db, order)
        return
    await _fetch_raw(db, _UPDATE_ORDERS, store, *_column_arrays(ordered))


async def write_aggregates_of(db: Database, changes: list[AggregatesChange]) -> dict[int, Aggregates]:
    """Write the customers' aggregates, in one statement, re-reading lastTransactionDate by one probe
    of ``ix_orders_customer_last_counted`` where asked; the aggregates as written, by customer."""
    if not changes:
        return {}
    written: dict[int, Aggregates] = {}
    if db.is_sqlite:
        for change in changes:
            aggregates = change.aggregates
            if change.probe:
                latest = await latest_counted_order_date(db, change.customer_id)
                aggregates = Aggregates(**{**aggregates.__dict__, "last_transaction_date": latest})
            await write_aggregates(db, change.customer_id, aggregates)
            written[change.customer_id] = aggregates
        return written
    arguments: list[list[Any]] = [[change.customer_id for change in changes]]
    arguments.extend([getattr(change.aggregates, name) for change in changes] for name in _AGGREGATE_COLUMNS)
    arguments.append([change.probe for change in changes])
    rows = await _fetch_raw(db, _WRITE_AGGREGATES, *arguments)
    latest_of = {row[0]: as_utc(row[1]) if row[1] is not None else None for row in rows}
    for change in changes:
        written[change.customer_id] = Aggregates(
            **{**change.aggregates.__dict__, "last_transaction_date": latest_of[change.customer_id]}
        )
    return written


async def insert_history_events(db: Database, events: list[HistoryRow]) -> None:
    """The ingest's customer events (the commerce system acted: actor ``system``), in one statement."""
    if not events:
        return
    if db.is_sqlite:
        await db.execute(
            customer_events.insert().values(
                [
                    {
                        "customer_id": event.customer_id,
                        "customer_reference": event.customer_reference,
                        "event_type": event.event_type,
                        "actor_type": "system",
                        "actor_id": None,
                        "changed_fields": list(event.values),
                        "values": event.values,
                        "created_at": event.created_at,
                    }
                    for event in events
                ]
            )
        )
        return
    await _fetch_raw(
        db,
        _INSERT_EVENTS,
        [event.customer_id for event in events],
        [event.customer_reference for event in events],
        [event.event_type for event in events],
        ["system"] * len(events),
        [None] * len(events),
        [json.dumps(list(event.values)) for event in events],
        [json.dumps(event.values) for event in events],
        [to_stored_time(event.created_at) for event in events],
    )
