"""SQL for companies (CB §4.1) and their events (CB §5.4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Actor, CompanyEvent, CompanyRecord
from app.queries._common import mapping
from app.queries.history import event_columns, json_value, page_of_events
from app.tables import companies, company_events

__all__ = [
    "COMPANY_COLUMNS",
    "company_from_row",
    "insert_company",
    "company_by_id",
    "lock_company",
    "list_companies",
    "update_company",
    "append_company_event",
    "company_history_page",
]

COMPANY_COLUMNS = [
    companies.c[name]
    for name in ("id", "store", "name", "is_active", "external_reference", "created_at", "updated_at")
]


def company_from_row(row: Any, prefix: str = "") -> CompanyRecord:
    values = mapping(row)
    return CompanyRecord(
        id=values[prefix + "id"],
        store=values[prefix + "store"],
        name=values[prefix + "name"],
        is_active=bool(values[prefix + "is_active"]),
        external_reference=values[prefix + "external_reference"],
        created_at=as_utc(values[prefix + "created_at"]),
        updated_at=as_utc(values[prefix + "updated_at"]),
    )


async def insert_company(db: Database, values: dict[str, Any]) -> None:
    await db.execute(companies.insert().values(**values))


async def company_by_id(db: Database, company_id: str) -> CompanyRecord | None:
    row = await db.fetch_one(sa.select(*COMPANY_COLUMNS).where(companies.c.id == company_id))
    return company_from_row(row) if row else None


async def lock_company(db: Database, company_id: str) -> CompanyRecord | None:
    """The company, its row locked until the caller's transaction ends (PostgreSQL; SQLite writes
    one at a time anyway)."""
    statement = sa.select(*COMPANY_COLUMNS).where(companies.c.id == company_id)
    if not db.is_sqlite:
        statement = statement.with_for_update()
    row = await db.fetch_one(statement)
    return company_from_row(row) if row else None


async def list_companies(
    db: Database,
    *,
    stores: tuple[str, ...] | None,
    store: str | None,
    name: str | None,
    is_active: bool | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[CompanyRecord]:
    """Newest first; ``name`` matches anywhere, in any letter case."""
    conditions: list[Any] = []
    if stores is not None:
        conditions.append(companies.c.store.in_(stores))
    if store is not None:
        conditions.append(companies.c.store == store)
    if name is not None:
        escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(sa.func.lower(companies.c.name).like(f"%{escaped}%", escape="\\"))
    if is_active is not None:
        conditions.append(companies.c.is_active == is_active)
    if after is not None:
        conditions.append(sa.tuple_(companies.c.created_at, companies.c.id) < sa.tuple_(*after))
    rows = await db.fetch_all(
        sa.select(*COMPANY_COLUMNS)
        .where(*conditions)
        .order_by(companies.c.created_at.desc(), companies.c.id.desc())
        .limit(limit)
    )
    return [company_from_row(row) for row in rows]


async def update_company(db: Database, company_id: str, changes: dict[str, Any]) -> None:
    await db.execute(companies.update().where(companies.c.id == company_id).values(**changes))


async def append_company_event(
    db: Database,
    company_id: str,
    event_type: str,
    actor: Actor,
    now: datetime,
    changed_fields: list[str],
    values: dict[str, Any],
) -> None:
    await db.execute(
        company_events.insert().values(
            company_id=company_id, **event_columns(event_type, actor, changed_fields, values, now)
        )
    )


async def company_history_page(
    db: Database, company_id: str, event_types: Sequence[str], before_id: int | None, limit: int
) -> list[CompanyEvent]:
    """The company's events, newest first, below ``before_id``."""
    owner = company_events.c.company_id == company_id
    rows = await db.fetch_all(page_of_events(company_events, owner, event_types, before_id, limit))
    return [_company_event(mapping(row)) for row in rows]


def _company_event(values: Any) -> CompanyEvent:
    return CompanyEvent(
        id=int(values["id"]),
        company_id=values["company_id"],
        event_type=values["event_type"],
        actor=Actor(values["actor_type"], values["actor_id"]),
        changed_fields=list(json_value(values["changed_fields"])),
        values=dict(json_value(values["values"])),
        created_at=as_utc(values["created_at"]),
    )
