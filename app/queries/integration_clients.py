"""SQL for integration clients (BO §2.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import IntegrationClient
from app.queries._common import mapping
from app.queries.operators import join_stores, split_stores
from app.tables import integration_clients

__all__ = [
    "insert_client",
    "client_by_id",
    "client_with_digest",
    "list_clients",
    "update_client",
    "delete_client",
]

_COLUMNS = [
    integration_clients.c[name]
    for name in (
        "id",
        "name",
        "permissions",
        "stores",
        "active",
        "created_at",
        "updated_at",
        "last_token_at",
        "token_generation",
    )
]


def client_from_row(row: Any) -> IntegrationClient:
    values = mapping(row)
    last_token = values["last_token_at"]
    return IntegrationClient(
        id=values["id"],
        name=values["name"],
        permissions=tuple(values["permissions"].split()),
        stores=split_stores(values["stores"]),
        active=bool(values["active"]),
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
        last_token_at=as_utc(last_token) if last_token is not None else None,
        token_generation=int(values["token_generation"]),
    )


def _row_values(changes: dict[str, Any]) -> dict[str, Any]:
    values = dict(changes)
    if "permissions" in values:
        values["permissions"] = " ".join(values["permissions"])
    if "stores" in values:
        values["stores"] = join_stores(values["stores"])
    return values


async def insert_client(db: Database, values: dict[str, Any]) -> None:
    await db.execute(integration_clients.insert().values(**_row_values(values)))


async def client_by_id(db: Database, client_id: str) -> IntegrationClient | None:
    row = await db.fetch_one(sa.select(*_COLUMNS).where(integration_clients.c.id == client_id))
    return client_from_row(row) if row else None


async def client_with_digest(db: Database, client_id: str) -> tuple[IntegrationClient, str] | None:
    row = await db.fetch_one(
        sa.select(*_COLUMNS, integration_clients.c.secret_digest).where(integration_clients.c.id == client_id)
    )
    return (client_from_row(row), mapping(row)["secret_digest"]) if row else None


async def list_clients(
    db: Database, after: tuple[datetime, str] | None, limit: int
) -> list[IntegrationClient]:
    conditions: list[Any] = []
    if after is not None:
        conditions.append(
            sa.tuple_(integration_clients.c.created_at, integration_clients.c.id) < sa.tuple_(*after)
        )
    rows = await db.fetch_all(
        sa.select(*_COLUMNS)
        .where(*conditions)
        .order_by(integration_clients.c.created_at.desc(), integration_clients.c.id.desc())
        .limit(limit)
    )
    return [client_from_row(row) for row in rows]


async def update_client(db: Database, client_id: str, changes: dict[str, Any]) -> None:
    await db.execute(
        integration_clients.update()
        .where(integration_clients.c.id == client_id)
        .values(**_row_values(changes))
    )


async def delete_client(db: Database, client_id: str) -> None:
    await db.execute(integration_clients.delete().where(integration_clients.c.id == client_id))
