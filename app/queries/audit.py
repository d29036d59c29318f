"""SQL for the audit trail (BO §4.12)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import AuditEvent
from app.queries._common import insert_rows, mapping
from app.tables import audit_events

__all__ = ["AuditFilters", "insert_event", "list_events", "delete_older_than"]


async def insert_event(db: Database, values: dict[str, Any]) -> None:
    row = dict(values)
    details = row.get("details")
    row["details"] = json.dumps(details, sort_keys=True) if details is not None else None
    await db.execute(audit_events.insert().values(**row))


async def delete_older_than(db: Database, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the oldest entries that occurred before ``cutoff`` (one short
    statement, by the occurred_at index); how many went."""
    oldest = (
        sa.select(audit_events.c.id)
        .where(audit_events.c.occurred_at < cutoff)
        .order_by(audit_events.c.id)
        .limit(limit)
    )
    rows = await db.fetch_all(
        audit_events.delete().where(audit_events.c.id.in_(oldest)).returning(audit_events.c.id)
    )
    return len(rows)


async def insert_events(db: Database, entries: list[dict[str, Any]]) -> None:
    if entries:
        rows = []
        for values in entries:
            row = dict(values)
            details = row.get("details")
            row["details"] = json.dumps(details, sort_keys=True) if details is not None else None
            rows.append(row)
        await insert_rows(db, audit_events, rows)


@dataclass(frozen=True)
class AuditFilters:
    operator_id: str | None = None
    customer_reference: str | None = None
    action: str | None = None
    outcome: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    # A store-limited reader sees entries of its stores' customers and those naming no customer.
    stores: tuple[str, ...] | None = None


def _event_from_row(row: Any) -> AuditEvent:
    values = mapping(row)
    details = values["details"]
    return AuditEvent(
        id=int(values["id"]),
        occurred_at=as_utc(values["occurred_at"]),
        operator_id=values["operator_id"],
        operator_role=values["operator_role"],
        action=values["action"],
        customer_reference=values["customer_reference"],
        outcome=values["outcome"],
        request_id=values["request_id"],
        details=json.loads(details) if details else None,
    )


async def list_events(
    db: Database, filters: AuditFilters, before_id: int | None, limit: int
) -> list[AuditEvent]:
    """Newest first (by sequence number), ``limit`` entries older than ``before_id``."""
    column = audit_events.c
    conditions: list[Any] = []
    if filters.operator_id is not None:
        conditions.append(column.operator_id == filters.operator_id)
    if filters.customer_reference is not None:
        conditions.append(column.customer_reference == filters.customer_reference)
    if filters.action is not None:
        conditions.append(column.action == filters.action)
    if filters.outcome is not None:
        conditions.append(column.outcome == filters.outcome)
    if filters.occurred_from is not None:
        conditions.append(column.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        conditions.append(column.occurred_at <= filters.occurred_to)
    if filters.stores is not None:
        conditions.append(sa.or_(column.store.is_(None), column.store.in_(filters.stores)))
    if before_id is not None:
        conditions.append(column.id < before_id)
    rows = await db.fetch_all(
        sa.select(audit_events).where(*conditions).order_by(column.id.desc()).limit(limit)
    )
    return [_event_from_row(row) for row in rows]
