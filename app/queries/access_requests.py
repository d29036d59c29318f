"""SQL for access requests (CB §5) and their events (CB §5.4). A transition is one conditional
UPDATE on the state it leaves, so of concurrent transitions exactly one finds its row."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import AccessRequest, AccessRequestEvent, Actor
from app.queries._common import mapping
from app.queries.history import event_columns
from app.tables import ACCESS_REQUEST_OPEN_STATES, access_request_events, access_requests

__all__ = [
    "insert_request",
    "request_by_id",
    "open_request_by_email",
    "request_by_key",
    "overwrite_unconfirmed",
    "transition",
    "list_requests",
    "count_requests",
    "append_event",
    "events_of",
    "open_requests_of_email",
    "scrub_requests_of_email",
    "delete_requests_of_email",
    "delete_expired_unconfirmed",
]


def _json(value: Any) -> Any:
    """A JSON column's value: PostgreSQL's driver hands back its text."""
    return json.loads(value) if isinstance(value, str) else value


_COLUMNS = [column for column in access_requests.c if column.name not in ("key_digest", "key_expires_at")]


def _from_row(row: Any) -> AccessRequest:
    values = mapping(row)
    return AccessRequest(
        **{
            column.name: values[column.name]
            for column in _COLUMNS
            if column.name not in ("created_at", "updated_at")
        },
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
    )


async def insert_request(db: Database, values: dict[str, Any]) -> None:
    await db.execute(access_requests.insert().values(**values))


async def request_by_id(db: Database, request_id: str) -> AccessRequest | None:
    row = await db.fetch_one(sa.select(*_COLUMNS).where(access_requests.c.id == request_id))
    return _from_row(row) if row else None


async def open_request_by_email(db: Database, store: str, email_key: str) -> AccessRequest | None:
    """The store's one open request of the e-mail, if any."""
    row = await db.fetch_one(
        sa.select(*_COLUMNS).where(
            access_requests.c.store == store,
            access_requests.c.email_key == email_key,
            access_requests.c.state.in_(ACCESS_REQUEST_OPEN_STATES),
        )
    )
    return _from_row(row) if row else None


async def request_by_key(db: Database, digest: str, now: datetime) -> AccessRequest | None:
    """The unconfirmed request whose live key has ``digest``."""
    row = await db.fetch_one(
        sa.select(*_COLUMNS).where(
            access_requests.c.key_digest == digest,
            access_requests.c.state == "unconfirmed",
            access_requests.c.key_expires_at > now,
        )
    )
    return _from_row(row) if row else None


async def overwrite_unconfirmed(db: Database, request_id: str, values: dict[str, Any]) -> bool:
    """A new submission replaces an unconfirmed request (its old key with it); False when the
    request left ``unconfirmed`` meanwhile."""
    row = await db.fetch_one(
        access_requests.update()
        .where(access_requests.c.id == request_id, access_requests.c.state == "unconfirmed")
        .values(**values)
        .returning(access_requests.c.id)
    )
    return row is not None


async def transition(
    db: Database, request_id: str, from_state: str, values: dict[str, Any]
) -> AccessRequest | None:
    """``UPDATE … WHERE id = :id AND state = :from``: the request as written, None when it was not
    (any more) in ``from_state``."""
    row = await db.fetch_one(
        access_requests.update()
        .where(access_requests.c.id == request_id, access_requests.c.state == from_state)
        .values(**values)
        .returning(*_COLUMNS)
    )
    return _from_row(row) if row else None


def _conditions(
    stores: tuple[str, ...] | None,
    store: str | None,
    state: str | None,
    email_key: str | None,
    company_id: str | None,
) -> list[Any]:
    conditions: list[Any] = []
    if stores is not None:
        conditions.append(access_requests.c.store.in_(stores))
    if store is not None:
        conditions.append(access_requests.c.store == store)
    if state is not None:
        conditions.append(access_requests.c.state == state)
    if email_key is not None:
        conditions.append(access_requests.c.email_key == email_key)
    if company_id is not None:
        conditions.append(access_requests.c.company_id == company_id)
    return conditions


async def list_requests(
    db: Database,
    *,
    stores: tuple[str, ...] | None = None,
    store: str | None = None,
    state: str | None = None,
    email_key: str | None = None,
    company_id: str | None = None,
    after: tuple[datetime, str] | None = None,
    oldest_first: bool = False,
    offset: int = 0,
    limit: int | None,
) -> list[AccessRequest]:
    """Newest first (or oldest first), after a (createdAt, id) position or from an offset; ``limit``
    None: all of them."""
    conditions = _conditions(stores, store, state, email_key, company_id)
    key = sa.tuple_(access_requests.c.created_at, access_requests.c.id)
    if after is not None:
        conditions.append(key < sa.tuple_(*after))
    order = (
        (access_requests.c.created_at.asc(), access_requests.c.id.asc())
        if oldest_first
        else (access_requests.c.created_at.desc(), access_requests.c.id.desc())
    )
    rows = await db.fetch_all(
        sa.select(*_COLUMNS).where(*conditions).order_by(*order).offset(offset).limit(limit)
    )
    return [_from_row(row) for row in rows]


async def count_requests(db: Database, *, company_id: str, state: str | None) -> int:
    row = await db.fetch_one(
        sa.select(sa.func.count())
        .select_from(access_requests)
        .where(*_conditions(None, None, state, None, company_id))
    )
    return int(row[0])


async def append_event(
    db: Database,
    request_id: str,
    event_type: str,
    actor: Actor,
    now: datetime,
    changed_fields: list[str],
    values: dict[str, Any],
) -> None:
    await db.execute(
        access_request_events.insert().values(
            access_request_id=request_id, **event_columns(event_type, actor, changed_fields, values, now)
        )
    )


async def events_of(db: Database, request_id: str) -> list[AccessRequestEvent]:
    """The request's history, oldest first."""
    rows = await db.fetch_all(
        sa.select(access_request_events)
        .where(access_request_events.c.access_request_id == request_id)
        .order_by(access_request_events.c.id)
    )
    found = []
    for row in rows:
        values = mapping(row)
        found.append(
            AccessRequestEvent(
                id=values["id"],
                event_type=values["event_type"],
                actor=Actor(values["actor_type"], values["actor_id"]),
                changed_fields=list(_json(values["changed_fields"])),
                values=dict(_json(values["values"])),
                created_at=as_utc(values["created_at"]),
            )
        )
    return found


async def open_requests_of_email(db: Database, store: str, email_key: str) -> list[str]:
    rows = await db.fetch_all(
        sa.select(access_requests.c.id).where(
            access_requests.c.store == store,
            access_requests.c.email_key == email_key,
            access_requests.c.state.in_(ACCESS_REQUEST_OPEN_STATES),
        )
    )
    return [row[0] for row in rows]


async def scrub_requests_of_email(db: Database, store: str, email_key: str, placeholder: str) -> None:
    """Erase the personal data of every request of the e-mail (CB §5.2 row 14)."""
    await db.execute(
        access_requests.update()
        .where(access_requests.c.store == store, access_requests.c.email_key == email_key)
        .values(
            email=placeholder,
            email_key=placeholder,
            salutation=None,
            first_name=None,
            last_name=None,
            company_hint=None,
            password_hash=None,
            key_digest=None,
            key_expires_at=None,
        )
    )


async def _delete_where(db: Database, condition: Any) -> int:
    doomed = sa.select(access_requests.c.id).where(condition)
    await db.execute(
        access_request_events.delete().where(access_request_events.c.access_request_id.in_(doomed))
    )
    rows = await db.fetch_all(access_requests.delete().where(condition).returning(access_requests.c.id))
    return len(rows)


async def delete_requests_of_email(db: Database, store: str, email_key: str) -> int:
    """Erasure (CB §1): the e-mail's requests in the store go, with their events."""
    return await _delete_where(
        db, sa.and_(access_requests.c.store == store, access_requests.c.email_key == email_key)
    )


async def delete_expired_unconfirmed(db: Database, now: datetime) -> int:
    """Unconfirmed requests whose key expired (CB §5.2 "Mailbox first"), with their events."""
    return await _delete_where(
        db, sa.and_(access_requests.c.state == "unconfirmed", access_requests.c.key_expires_at <= now)
    )
