"""SQL for levels (BO §4.3) and the customers' effective level, which follows them.

The effective level of a customer without a manual one is the store's level with the highest
``condition_value`` not above its ``transactions_amount_without_delivery_costs``, else none."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Level
from app.queries._common import is_unique_violation, mapping, violated_unique_columns
from app.tables import customers, levels

__all__ = [
    "LevelTaken",
    "LevelChange",
    "insert_level",
    "level_by_id",
    "list_levels",
    "update_level",
    "delete_level",
    "has_manual_customers",
    "next_level",
    "AmountWindow",
    "recalculation_candidates",
    "apply_recalculation",
    "customer_recalculation",
    "set_customer_level",
    "level_stores",
]


class LevelTaken(Exception):
    """The store has a level with this name or condition value; ``attribute`` names which."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


def level_from_row(row: Any) -> Level:
    values = mapping(row)
    translations = values["translations"]
    return Level(
        id=values["id"],
        store=values["store"],
        name=values["name"],
        condition_value=int(values["condition_value"]),
        reward_percent=f"{Decimal(values['reward_percent']):.2f}",
        translations=json.loads(translations) if isinstance(translations, str) else dict(translations),
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
    )


def _taken(error: BaseException) -> LevelTaken:
    return LevelTaken("name" if "name" in violated_unique_columns(error) else "conditionValue")


async def insert_level(db: Database, values: dict[str, Any]) -> None:
    try:
        await db.execute(levels.insert().values(**values))
    except Exception as error:
        if is_unique_violation(error):
            raise _taken(error) from None
        raise


async def level_by_id(db: Database, level_id: str) -> Level | None:
    row = await db.fetch_one(sa.select(levels).where(levels.c.id == level_id))
    return level_from_row(row) if row else None


async def level_stores(db: Database, level_ids: Sequence[str]) -> dict[str, str]:
    """Each of these levels' store, by id (unknown ids left out); on PostgreSQL the levels are
    locked for share until the caller's transaction ends, so none is deleted under a new holder."""
    query = sa.select(levels.c.id, levels.c.store).where(levels.c.id.in_(sorted(set(level_ids))))
    if not db.is_sqlite:
        query = query.with_for_update(read=True)
    return {row[0]: row[1] for row in await db.fetch_all(query)}


async def list_levels(
    db: Database, stores: tuple[str, ...] | None, after: tuple[datetime, str] | None, limit: int
) -> list[Level]:
    conditions: list[Any] = []
    if stores is not None:
        conditions.append(levels.c.store.in_(stores))
    if after is not None:
        conditions.append(sa.tuple_(levels.c.created_at, levels.c.id) < sa.tuple_(*after))
    rows = await db.fetch_all(
        sa.select(levels)
        .where(*conditions)
        .order_by(levels.c.created_at.desc(), levels.c.id.desc())
        .limit(limit)
    )
    return [level_from_row(row) for row in rows]


async def update_level(db: Database, level_id: str, changes: dict[str, Any]) -> None:
    try:
        await db.execute(levels.update().where(levels.c.id == level_id).values(**changes))
    except Exception as error:
        if is_unique_violation(error):
            raise _taken(error) from None
        raise


async def delete_level(db: Database, level_id: str) -> None:
    await db.execute(levels.delete().where(levels.c.id == level_id))


async def has_manual_customers(db: Database, level_id: str) -> bool:
    row = await db.fetch_one(
        sa.select(customers.c.id)
        .where(customers.c.level_id == level_id, customers.c.manually_assigned_level.is_(True))
        .limit(1)
    )
    return row is not None


async def next_level(db: Database, store: str, condition_value: int) -> Level | None:
    """The store's level just above ``condition_value``."""
    row = await db.fetch_one(
        sa.select(levels)
        .where(levels.c.store == store, levels.c.condition_value > condition_value)
        .order_by(levels.c.condition_value)
        .limit(1)
    )
    return level_from_row(row) if row else None


def _earned_level(customer_table: Any = customers) -> Any:
    """The automatic level of the row of ``customers`` the statement is about (a correlated subquery)."""
    return (
        sa.select(levels.c.id)
        .where(
            levels.c.store == customer_table.c.store,
            levels.c.condition_value <= customer_table.c.transactions_amount_without_delivery_costs,
        )
        .order_by(levels.c.condition_value.desc())
        .limit(1)
        .correlate(customer_table)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class AmountWindow:
    """The customers a level write can move: ``low`` ≤ their amount without delivery costs and,
    when ``high`` is set, < ``high`` (the next level's condition value above the change)."""

    low: int
    high: int | None


def _needs_recalculation(
    store: str, customer_ids: Sequence[int] | None, window: AmountWindow | None = None
) -> list[Any]:
    conditions = [
        customers.c.store == store,
        customers.c.manually_assigned_level.is_(False),
        customers.c.level_id.is_distinct_from(_earned_level()),
    ]
    if customer_ids is not None:
        conditions.append(customers.c.id.in_(list(customer_ids)))
    if window is not None:
        amount = customers.c.transactions_amount_without_delivery_costs
        conditions.append(amount >= window.low)
        if window.high is not None:
            conditions.append(amount < window.high)
    return conditions


class LevelChange:
    """A customer whose effective level moves: from ``previous`` to ``level_id``."""

    __slots__ = ("customer_id", "reference", "previous", "level_id")

    def __init__(self, customer_id: int, reference: str, previous: str | None, level_id: str | None) -> None:
        self.customer_id = customer_id
        self.reference = reference
        self.previous = previous
        self.level_id = level_id


async def recalculation_candidates(
    db: Database, store: str, customer_ids: Sequence[int] | None = None, window: AmountWindow | None = None
) -> list[LevelChange]:
    """The store's customers (all, or those of ``customer_ids``) without a manual level whose
    effective level is not the one they earn."""
    rows = await db.fetch_all(
        sa.select(
            customers.c.id,
            customers.c.reference,
            customers.c.level_id,
            _earned_level().label("earned"),
        )
        .where(*_needs_recalculation(store, customer_ids, window))
        .order_by(customers.c.id)
    )
    return [
        LevelChange(int(values["id"]), values["reference"], values["level_id"], values["earned"])
        for values in map(mapping, rows)
    ]


async def apply_recalculation(
    db: Database,
    store: str,
    now: datetime,
    customer_ids: Sequence[int] | None = None,
    window: AmountWindow | None = None,
) -> None:
    """Set-based: every such customer of the store (or of ``customer_ids``, or in ``window``) gets
    the level it earns."""
    await db.execute(
        customers.update()
        .where(*_needs_recalculation(store, customer_ids, window))
        .values(level_id=_earned_level(), updated_at=now)
    )


async def customer_recalculation(db: Database, customer_id: int) -> LevelChange | None:
    """The one customer's change of effective level, if it has no manual level and one is due."""
    row = await db.fetch_one(
        sa.select(
            customers.c.id,
            customers.c.reference,
            customers.c.level_id,
            customers.c.manually_assigned_level,
            _earned_level().label("earned"),
        ).where(customers.c.id == customer_id)
    )
    if row is None:
        return None
    values = mapping(row)
    if values["manually_assigned_level"] or values["level_id"] == values["earned"]:
        return None
    return LevelChange(int(values["id"]), values["reference"], values["level_id"], values["earned"])


async def earned_level_of(db: Database, customer_id: int) -> str | None:
    row = await db.fetch_one(
        sa.select(_earned_level()).select_from(customers).where(customers.c.id == customer_id)
    )
    return row[0] if row else None


async def set_customer_level(
    db: Database, customer_id: int, level_id: str | None, manual: bool, now: datetime
) -> None:
    await db.execute(
        customers.update()
        .where(customers.c.id == customer_id)
        .values(level_id=level_id, manually_assigned_level=manual, updated_at=now)
    )
