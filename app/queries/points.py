"""SQL for the points ledger (BO §4.3). ``today`` is the customer's store's date: an add is
expired from the day after its ``expires_on`` and locked while ``today < locked_until``, whether or
not the jobs worker has marked it yet, so no balance waits for the worker."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Actor, PointsTransfer
from app.queries._common import mapping
from app.tables import customers, points_transfers

__all__ = [
    "ADD",
    "SPEND",
    "lock_customer",
    "insert_transfer",
    "transfer_of_customer",
    "list_transfers",
    "count_transfers",
    "spendable_adds",
    "set_remaining",
    "cancel_add",
    "balance",
    "figures",
    "lapsed_adds",
    "mark_expired",
]

ADD, SPEND = "add", "spend"
ZERO = Decimal("0.00")
_t = points_transfers


def _lapsed(today: date) -> Any:
    return sa.and_(_t.c.state == "active", _t.c.expires_on.is_not(None), _t.c.expires_on < today)


def _effective_state(today: date) -> Any:
    return sa.case(
        (sa.and_(_t.c.transfer_type == ADD, _lapsed(today)), sa.literal("expired")), else_=_t.c.state
    )


def transfer_from_row(row: Any) -> PointsTransfer:
    values = mapping(row)
    state = values["effective_state"]
    canceled = values["canceled_at"]
    remaining = Decimal(values["remaining_points"]) if state == "active" else ZERO
    return PointsTransfer(
        id=values["id"],
        customer_id=int(values["customer_id"]),
        transfer_type=values["transfer_type"],
        points=Decimal(values["points"]).quantize(ZERO),
        remaining_points=remaining.quantize(ZERO),
        state=state,
        comment=values["comment"],
        expires_on=values["expires_on"],
        locked_until=values["locked_until"],
        actor=Actor(values["actor_type"], values["actor_id"]),
        created_at=as_utc(values["created_at"]),
        canceled_at=as_utc(canceled) if canceled is not None else None,
    )


def _select(today: date) -> Any:
    return sa.select(_t, _effective_state(today).label("effective_state"))


async def lock_customer(db: Database, customer_id: int) -> None:
    """Lock the customer row for the rest of the transaction (PostgreSQL; SQLite has one writer), so
    concurrent spends of one customer queue and each sees what the others consumed."""
    if not db.is_sqlite:
        await db.fetch_one(sa.select(customers.c.id).where(customers.c.id == customer_id).with_for_update())


async def insert_transfer(db: Database, values: dict[str, Any]) -> None:
    await db.execute(_t.insert().values(**values))


async def transfer_of_customer(
    db: Database, customer_id: int, transfer_id: str, today: date
) -> PointsTransfer | None:
    row = await db.fetch_one(_select(today).where(_t.c.id == transfer_id, _t.c.customer_id == customer_id))
    return transfer_from_row(row) if row else None


def _filters(customer_id: int, today: date, transfer_type: str | None, state: str | None) -> list[Any]:
    conditions: list[Any] = [_t.c.customer_id == customer_id]
    if transfer_type is not None:
        conditions.append(_t.c.transfer_type == transfer_type)
    if state is not None:
        conditions.append(_effective_state(today) == state)
    return conditions


async def list_transfers(
    db: Database,
    customer_id: int,
    today: date,
    transfer_type: str | None,
    state: str | None,
    newest_first: bool,
    offset: int,
    limit: int | None,
) -> list[PointsTransfer]:
    """One page of the customer's transfers (``limit`` None: all of them)."""
    order = (_t.c.created_at.desc(), _t.c.id.desc()) if newest_first else (_t.c.created_at, _t.c.id)
    rows = await db.fetch_all(
        _select(today)
        .where(*_filters(customer_id, today, transfer_type, state))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return [transfer_from_row(row) for row in rows]


async def count_transfers(
    db: Database, customer_id: int, today: date, transfer_type: str | None, state: str | None
) -> int:
    row = await db.fetch_one(
        sa.select(sa.func.count()).select_from(_t).where(*_filters(customer_id, today, transfer_type, state))
    )
    return int(row[0])


def _spendable(customer_id: int, today: date) -> list[Any]:
    return [
        _t.c.customer_id == customer_id,
        _t.c.transfer_type == ADD,
        _t.c.state == "active",
        _t.c.remaining_points > 0,
        sa.or_(_t.c.expires_on.is_(None), _t.c.expires_on >= today),
        sa.or_(_t.c.locked_until.is_(None), _t.c.locked_until <= today),
    ]


async def spendable_adds(db: Database, customer_id: int, today: date) -> list[tuple[str, Decimal]]:
    """(id, remaining) of the adds a spend consumes, in the order it consumes them: earliest
    ``expires_on`` first (none last), then oldest."""
    rows = await db.fetch_all(
        sa.select(_t.c.id, _t.c.remaining_points)
        .where(*_spendable(customer_id, today))
        .order_by(
            _t.c.expires_on.is_(None),  # false (has a date) sorts first on both backends
            _t.c.expires_on,
            _t.c.created_at,
            _t.c.id,
        )
    )
    return [(mapping(row)["id"], Decimal(mapping(row)["remaining_points"])) for row in rows]


async def set_remaining(db: Database, transfer_id: str, remaining: Decimal) -> None:
    await db.execute(_t.update().where(_t.c.id == transfer_id).values(remaining_points=remaining))


async def cancel_add(db: Database, transfer_id: str, now: datetime) -> None:
    """Canceled: its remainder (kept as the amount dropped) is no longer spendable."""
    await db.execute(_t.update().where(_t.c.id == transfer_id).values(state="canceled", canceled_at=now))


async def balance(db: Database, customer_id: int, today: date) -> Decimal:
    """The spendable points: what remains of the unlocked, unexpired active adds."""
    row = await db.fetch_one(
        sa.select(sa.func.coalesce(sa.func.sum(_t.c.remaining_points), 0)).where(
            *_spendable(customer_id, today)
        )
    )
    return Decimal(row[0]).quantize(ZERO)


async def figures(db: Database, customer_id: int, today: date, horizon: date) -> dict[str, Any]:
    """The status sums (BO §4.3) and, per ``expires_on`` from today to ``horizon``, what remains."""
    active_unexpired = sa.and_(
        _t.c.transfer_type == ADD,
        _t.c.state == "active",
        sa.or_(_t.c.expires_on.is_(None), _t.c.expires_on >= today),
    )
    expired = sa.and_(_t.c.transfer_type == ADD, sa.or_(_t.c.state == "expired", _lapsed(today)))
    locked = sa.and_(active_unexpired, _t.c.locked_until.is_not(None), _t.c.locked_until > today)

    def total(condition: Any, column: Any = _t.c.remaining_points) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, column), else_=0)), 0)

    row = await db.fetch_one(
        sa.select(
            total(sa.and_(active_unexpired, sa.not_(locked))).label("points"),
            total(locked).label("locked"),
            total(_t.c.transfer_type == SPEND, _t.c.points).label("used"),
            total(expired).label("expired"),
            total(_t.c.transfer_type == ADD, _t.c.points).label("added"),
            total(sa.and_(_t.c.transfer_type == ADD, _t.c.state == "canceled")).label("dropped"),
        ).where(_t.c.customer_id == customer_id)
    )
    sums: dict[str, Any] = {name: Decimal(value).quantize(ZERO) for name, value in mapping(row).items()}
    rows = await db.fetch_all(
        sa.select(_t.c.expires_on, sa.func.sum(_t.c.remaining_points))
        .where(
            _t.c.customer_id == customer_id,
            active_unexpired,
            _t.c.remaining_points > 0,
            _t.c.expires_on <= horizon,
        )
        .group_by(_t.c.expires_on)
        .order_by(_t.c.expires_on)
    )
    sums["breakdown"] = {_as_date(row[0]).isoformat(): Decimal(row[1]).quantize(ZERO) for row in rows}
    return sums


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def lapsed_adds(db: Database, store: str, today: date, limit: int) -> list[tuple[str, int, str, Any]]:
    """Up to ``limit`` active adds of the store's customers past their ``expires_on``, claimed (FOR
    UPDATE SKIP LOCKED on PostgreSQL: concurrent workers take different rows): (id, customer id,
    reference, the transfer's row)."""
    query = (
        sa.select(_t, customers.c.reference)
        .join(customers, customers.c.id == _t.c.customer_id)
        .where(customers.c.store == store, _t.c.transfer_type == ADD, _lapsed(today))
        .order_by(_t.c.expires_on, _t.c.id)
        .limit(limit)
    )
    if not db.is_sqlite:
        query = query.with_for_update(of=_t, skip_locked=True)
    rows = await db.fetch_all(query)
    return [
        (mapping(row)["id"], int(mapping(row)["customer_id"]), mapping(row)["reference"], mapping(row))
        for row in rows
    ]


async def mark_expired(db: Database, transfer_ids: list[str], now: datetime) -> None:
    await db.execute(_t.update().where(_t.c.id.in_(transfer_ids)).values(state="expired", expired_at=now))
