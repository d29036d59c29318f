"""SQL for the back-office customer search (BO §4.5): conditions built from parsed filters, keyset
and offset pages, the bounded count and PostgreSQL's estimate beyond it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg

from app.clock import as_utc
from app.database import Database, PrecompiledSelect
from app.queries._common import mapping
from app.tables import addresses, customer_labels, customers

__all__ = [
    "SORT_COLUMNS",
    "TEXT_COLUMNS",
    "Bound",
    "contains",
    "equals",
    "one_of",
    "address_matches",
    "has_label",
    "in_store_window",
    "moment",
    "search_rows",
    "bounded_count",
    "estimated_count",
    "labels_of",
    "keyset_after",
]

# Sort keys → (column, lower-cased text?, nullable?).
SORT_COLUMNS: dict[str, tuple[sa.ColumnElement[Any], bool, bool]] = {
    "createdAt": (customers.c.created_at, False, False),
    "updatedAt": (customers.c.updated_at, False, False),
    "firstName": (sa.func.lower(customers.c.first_name), True, True),
    "lastName": (sa.func.lower(customers.c.last_name), True, True),
    "email": (customers.c.email_key, True, False),
    "loyaltyCardNumber": (customers.c.loyalty_card_key, True, True),
    "transactionsCount": (customers.c.transactions_count, False, False),
    "transactionsAmount": (customers.c.transactions_amount, False, False),
    "transactionsAmountWithoutDeliveryCosts": (
        customers.c.transactions_amount_without_delivery_costs,
        False,
        False,
    ),
    "averageTransactionAmount": (customers.c.average_transaction_amount, False, False),
    "lastTransactionDate": (customers.c.last_transaction_date, False, True),
}

# Text filters → their lower-cased column (email and card number are kept lower-cased already).
TEXT_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "firstName": sa.func.lower(customers.c.first_name),
    "lastName": sa.func.lower(customers.c.last_name),
    "email": customers.c.email_key,
    "loyaltyCardNumber": customers.c.loyalty_card_key,
    "phone": customers.c.phone,
}


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring (``text`` lower-cased by the caller); 1–2 characters: prefix."""
    pattern = _escaped(text) + "%" if len(text) <= 2 else "%" + _escaped(text) + "%"
    return column.like(pattern, escape="\\")


def equals(column: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[bool]:
    return column == text


def one_of(db: Database, column: sa.ColumnElement[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY($n)`` with one array parameter, so the statement
    keeps one shape whatever the number of values and its compiled SQL is cached (app.database)."""
    if db.is_sqlite:
        return column.in_(values)
    return column == sa.any_(sa.literal(list(values), ARRAY(column.type)))


def address_matches(field: str, condition: Any) -> sa.ColumnElement[bool]:
    """Any of the customer's addresses: ``condition`` applied to its lower-cased city or postcode."""
    column = sa.func.lower(addresses.c.city if field == "city" else addresses.c.zip_code)
    return sa.exists(
        sa.select(sa.literal_column("1")).where(addresses.c.customer_id == customers.c.id, condition(column))
    )


def has_label(key: str, value: str | None) -> sa.ColumnElement[bool]:
    conditions = [customer_labels.c.key_lower == key, customer_labels.c.customer_id == customers.c.id]
    if value is not None:
        conditions.append(customer_labels.c.value_lower == value)
    return sa.exists(sa.select(sa.literal_column("1")).where(*conditions))


@dataclass(frozen=True)
class Bound:
    """A range bound on a timestamp: one moment, or one per store (a date in each store's zone)."""

    moment: datetime | None = None
    per_store: tuple[tuple[str, datetime], ...] = ()


def moment(db: Database, value: datetime) -> datetime:
    """A timestamp as the backend compares it: UTC (SQLite keeps naive UTC, app/tables.py)."""
    utc = value.astimezone(UTC)
    return utc.replace(tzinfo=None) if db.is_sqlite else utc


def in_store_window(
    db: Database, column: sa.ColumnElement[Any], bound: Bound, lower: bool, inclusive: bool = True
) -> sa.ColumnElement[bool]:
    def compare(value: datetime) -> sa.ColumnElement[bool]:
        point = moment(db, value)
        if lower:
            return column >= point
        return column <= point if inclusive else column < point

    if bound.moment is not None:
        return compare(bound.moment)
    return sa.or_(*(sa.and_(customers.c.store == store, compare(value)) for store, value in bound.per_store))


def keyset_after(
    sort: str, descending: bool, position: tuple[Any, int] | None, db: Database
) -> sa.ColumnElement[bool] | None:
    """Rows after ``position`` (the last row's sort value and id) in the order ``sort`` gives: ties
    by id in the same direction, nulls largest (last ascending, first descending)."""
    if position is None:
        return None
    column, _, nullable = SORT_COLUMNS[sort]
    value, last_id = position
    if isinstance(value, datetime):
        value = moment(db, value)
    if not nullable:
        # A row comparison: PostgreSQL reads it as one range of the (key, id) index.
        pair, bound = sa.tuple_(column, customers.c.id), sa.tuple_(sa.literal(value), sa.literal(last_id))
        return pair < bound if descending else pair > bound
    if not descending:
        if value is None:
            return sa.and_(column.is_(None), customers.c.id > last_id)
        after = sa.or_(column > value, sa.and_(column == value, customers.c.id > last_id))
        return sa.or_(after, column.is_(None)) if nullable else after
    if value is None:
        return sa.or_(sa.and_(column.is_(None), customers.c.id < last_id), column.is_not(None))
    return sa.or_(column < value, sa.and_(column == value, customers.c.id < last_id))


def _order(sort: str, descending: bool, key: Any = None, id_: Any = None) -> list[Any]:
    """ORDER BY the sort key (``key``: another spelling of it), ties by id, nulls largest."""
    column, _, nullable = SORT_COLUMNS[sort]
    key = column if key is None else key
    id_ = customers.c.id if id_ is None else id_
    if descending:
        return [key.desc().nulls_first() if nullable else key.desc(), id_.desc()]
    return [key.asc().nulls_last() if nullable else key.asc(), id_.asc()]


async def search_rows(
    db: Database,
    conditions: Sequence[sa.ColumnElement[bool]],
    sort: str,
    descending: bool,
    limit: int,
    offset: int = 0,
    *,
    sort_after_matching: bool = False,
) -> list[dict[str, Any]]:
    """One page of customers in ``sort`` order. ``sort_after_matching`` (a caller that counted few
    matches): the matching rows are found first, in a subquery fenced by ``OFFSET 0`` so that
    PostgreSQL plans it alone (the filters' own indexes), and only they are sorted; otherwise the
    planner may walk the sort key's index and test every row it meets, which costs in proportion to
    the customers rather than to the matches when its estimate of the matches is far too high."""
    column, _, _ = SORT_COLUMNS[sort]
    if sort_after_matching:
        matching = sa.select(customers, column.label("sort_value")).where(*conditions).offset(0).subquery()
        order = _order(sort, descending, matching.c.sort_value, matching.c.id)
        statement = sa.select(matching).order_by(*order).limit(limit)
    else:
        statement = (
            sa.select(customers, column.label("sort_value"))
            .where(*conditions)
            .order_by(*_order(sort, descending))
            .limit(limit)
        )
    if offset:
        statement = statement.offset(offset)
    rows = [mapping(row) for row in await db.fetch_all(statement)]
    for row in rows:
        for name in ("created_at", "updated_at", "last_transaction_date", "sort_value"):
            if isinstance(row.get(name), datetime):
                row[name] = as_utc(row[name])
    return rows


def _matching(conditions: Sequence[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    return sa.select(customers.c.id).where(*conditions)


async def bounded_count(db: Database, conditions: Sequence[sa.ColumnElement[bool]], limit: int | None) -> int:
    """How many customers match, counting no further than ``limit`` + 1 (None: all of them)."""
    matching = _matching(conditions)
    if limit is not None:
        matching = matching.limit(limit + 1)
    row = await db.fetch_one(sa.select(sa.func.count()).select_from(matching.subquery()))
    return int(row[0]) if row is not None else 0


async def estimated_count(db: Database, conditions: Sequence[sa.ColumnElement[bool]]) -> int:
    """PostgreSQL's planner estimate of the matching rows (``EXPLAIN (FORMAT JSON)``)."""
    # The statement as asyncpg runs it, its values bound as arguments: none is spelled into the SQL.
    compiled = _matching(conditions).compile(
        dialect=postgresql_asyncpg.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},
    )
    explain = PrecompiledSelect(
        statement=_matching(conditions),
        postgresql=f"EXPLAIN (FORMAT JSON) {compiled.string}",
        parameter_order=tuple(compiled.positiontup or ()),
    )
    row = await db.fetch_one_precompiled(explain, **compiled.params)
    assert row is not None
    plan = row[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


async def labels_of(db: Database, customer_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    if not customer_ids:
        return {}
    rows = await db.fetch_all(
        sa.select(customer_labels.c.customer_id, customer_labels.c.key, customer_labels.c.value)
        .where(one_of(db, customer_labels.c.customer_id, customer_ids))
        .order_by(customer_labels.c.id)
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        found.setdefault(int(row[0]), []).append((row[1], row[2]))
    return found
