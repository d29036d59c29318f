"""SQL for the customer history: append an event, read a customer's events, rewrite their values."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Actor, HistoryEvent
from app.queries._common import insert_rows, mapping
from app.tables import customer_events

__all__ = [
    "event_columns",
    "append_event",
    "append_events",
    "events_of_customer",
    "rewrite_values",
    "event_from_row",
    "json_value",
    "page_of_events",
]


def json_value(value: Any) -> Any:
    """A JSON column's value: decoded by SQLAlchemy's JSON type already, or text from a raw driver."""
    return json.loads(value) if isinstance(value, str) else value


def page_of_events(
    table: sa.Table, owner: Any, event_types: Sequence[str], before_id: int | None, limit: int
) -> Any:
    """The statement for one page of a history table (BO §4.4): the events matching ``owner`` (and
    of ``event_types``, when any), newest first, below the cursor ``before_id``."""
    conditions: list[Any] = [owner]
    if event_types:
        conditions.append(table.c.event_type.in_(list(event_types)))
    if before_id is not None:
        conditions.append(table.c.id < before_id)
    return sa.select(table).where(*conditions).order_by(table.c.id.desc()).limit(limit)


def event_from_row(row: Any) -> HistoryEvent:
    values = mapping(row)
    balance = values["points_balance"]
    return HistoryEvent(
        id=int(values["id"]),
        customer_id=values["customer_id"],
        customer_reference=values["customer_reference"],
        event_type=values["event_type"],
        actor=Actor(values["actor_type"], values["actor_id"]),
        changed_fields=list(json_value(values["changed_fields"])),
        values=dict(json_value(values["values"])),
        points_balance=None if balance is None else f"{balance:.2f}",
        created_at=as_utc(values["created_at"]),
    )


def event_columns(
    event_type: str, actor: Actor, changed_fields: list[str], values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The columns every events table shares (customer, company and access-request events)."""
    return {
        "event_type": event_type,
        "actor_type": actor.type,
        "actor_id": actor.id,
        "changed_fields": changed_fields,
        "values": values,
        "created_at": now,
    }


async def append_event(
    db: Database,
    *,
    customer_id: int | None,
    customer_reference: str,
    event_type: str,
    actor: Actor,
    changed_fields: list[str],
    values: dict[str, Any],
    now: datetime,
    points_balance: Decimal | None = None,
) -> int:
    """Insert one event; its sequence number (``points_balance``: a points event's balance after it)."""
    row = await db.fetch_one(
        customer_events.insert()
        .values(
            customer_id=customer_id,
            customer_reference=customer_reference,
            points_balance=points_balance,
            **event_columns(event_type, actor, changed_fields, values, now),
        )
        .returning(customer_events.c.id)
    )
    return int(row[0])


async def append_events(db: Database, events: list[dict[str, Any]]) -> None:
    """Insert several events (``append_event``'s arguments each, the actor as an Actor) at once."""
    if events:
        await insert_rows(
            db,
            customer_events,
            [
                {
                    "customer_id": event["customer_id"],
                    "customer_reference": event["customer_reference"],
                    **event_columns(
                        event["event_type"],
                        event["actor"],
                        event["changed_fields"],
                        event["values"],
                        event["now"],
                    ),
                }
                for event in events
            ],
        )


async def events_of_customer(db: Database, customer_id: int) -> list[HistoryEvent]:
    """A customer's events, oldest first."""
    rows = await db.fetch_all(
        sa.select(customer_events)
        .where(customer_events.c.customer_id == customer_id)
        .order_by(customer_events.c.id)
    )
    return [event_from_row(row) for row in rows]


async def rewrite_values(
    db: Database, customer_id: int, rewrite: Callable[[dict[str, Any]], dict[str, Any]]
) -> int:
    """Replace the ``values`` of each of a customer's events by ``rewrite(values)`` where that
    differs; how many events changed. Runs in the caller's transaction."""
    rows = await db.fetch_all(
        sa.select(customer_events.c.id, customer_events.c["values"]).where(
            customer_events.c.customer_id == customer_id
        )
    )
    changed = 0
    for row in rows:
        current = dict(json_value(row[1]))
        rewritten = rewrite(current)
        if rewritten != current:
            await db.execute(
                customer_events.update().where(customer_events.c.id == row[0]).values(values=rewritten)
            )
            changed += 1
    return changed


async def insert_event_rows(db: Database, events: list[dict[str, Any]]) -> None:
    """Insert many events at once (a set-based change: one per customer it changed), in order.
    Each is ``append_event``'s keywords but ``actor`` as ``actor_type`` and ``actor_id``."""
    for start in range(0, len(events), 1000):
        await db.execute(customer_events.insert().values(events[start : start + 1000]))
