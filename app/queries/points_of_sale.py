"""SQL for points of sale (BO §4.3): the identifier unique case-insensitively (its lower-cased copy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import PointOfSale
from app.queries._common import is_unique_violation, mapping
from app.tables import customers, operators, points_of_sale

__all__ = [
    "IdentifierTaken",
    "insert_pos",
    "pos_by_id",
    "pos_exists",
    "list_pos",
    "update_pos",
    "delete_pos",
    "has_sellers",
    "customers_of_pos",
    "clear_customers_pos",
]


class IdentifierTaken(Exception):
    """Another point of sale has this identifier (in any letter case)."""


def pos_from_row(row: Any) -> PointOfSale:
    values = mapping(row)
    return PointOfSale(
        id=values["id"],
        name=values["name"],
        identifier=values["identifier"],
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
    )


def _row_values(values: dict[str, Any]) -> dict[str, Any]:
    row = dict(values)
    if "identifier" in row:
        row["identifier_key"] = row["identifier"].lower()
    return row


async def insert_pos(db: Database, values: dict[str, Any]) -> None:
    try:
        await db.execute(points_of_sale.insert().values(**_row_values(values)))
    except Exception as error:
        if is_unique_violation(error):
            raise IdentifierTaken from None
        raise


async def pos_by_id(db: Database, pos_id: str) -> PointOfSale | None:
    row = await db.fetch_one(sa.select(points_of_sale).where(points_of_sale.c.id == pos_id))
    return pos_from_row(row) if row else None


async def pos_exists(db: Database, pos_id: str) -> bool:
    row = await db.fetch_one(sa.select(points_of_sale.c.id).where(points_of_sale.c.id == pos_id))
    return row is not None


async def list_pos(db: Database, after: tuple[datetime, str] | None, limit: int) -> list[PointOfSale]:
    conditions: list[Any] = []
    if after is not None:
        conditions.append(sa.tuple_(points_of_sale.c.created_at, points_of_sale.c.id) < sa.tuple_(*after))
    rows = await db.fetch_all(
        sa.select(points_of_sale)
        .where(*conditions)
        .order_by(points_of_sale.c.created_at.desc(), points_of_sale.c.id.desc())
        .limit(limit)
    )
    return [pos_from_row(row) for row in rows]


async def update_pos(db: Database, pos_id: str, changes: dict[str, Any]) -> None:
    try:
        await db.execute(
            points_of_sale.update().where(points_of_sale.c.id == pos_id).values(**_row_values(changes))
        )
    except Exception as error:
        if is_unique_violation(error):
            raise IdentifierTaken from None
        raise


async def delete_pos(db: Database, pos_id: str) -> None:
    await db.execute(points_of_sale.delete().where(points_of_sale.c.id == pos_id))


async def has_sellers(db: Database, pos_id: str) -> bool:
    row = await db.fetch_one(sa.select(operators.c.id).where(operators.c.pos_id == pos_id).limit(1))
    return row is not None


async def customers_of_pos(db: Database, pos_id: str) -> list[tuple[int, str]]:
    """(id, reference) of the customers served by the point of sale, locked (PostgreSQL)."""
    query = sa.select(customers.c.id, customers.c.reference).where(customers.c.pos_id == pos_id)
    if not db.is_sqlite:
        query = query.with_for_update()
    rows = await db.fetch_all(query.order_by(customers.c.id))
    return [(int(mapping(row)["id"]), mapping(row)["reference"]) for row in rows]


async def clear_customers_pos(db: Database, pos_id: str, now: datetime) -> None:
    await db.execute(
        customers.update().where(customers.c.pos_id == pos_id).values(pos_id=None, updated_at=now)
    )
