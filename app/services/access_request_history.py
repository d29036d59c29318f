"""An access request's history (CB §5.4) and its withdrawal on anonymization (CB §5.2 row 14):
the events every transition appends, in the shape of the customer history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.database import Database
from app.emails import email_key
from app.models import AccessRequest, Actor
from app.queries import access_requests as queries

__all__ = [
    "record_event",
    "withdraw_requests",
    "WAS_SUBMITTED",
    "WAS_CONFIRMED",
    "WAS_ACCEPTED",
    "WAS_APPROVED",
    "WAS_DECLINED",
    "WAS_INVALIDATED",
]

WAS_SUBMITTED = "AccessRequestWasSubmitted"
WAS_CONFIRMED = "AccessRequestWasConfirmed"
WAS_ACCEPTED = "AccessRequestWasAccepted"
WAS_APPROVED = "AccessRequestWasApproved"
WAS_DECLINED = "AccessRequestWasDeclined"
WAS_INVALIDATED = "AccessRequestWasInvalidated"


async def record_event(
    db: Database,
    request: AccessRequest,
    event_type: str,
    actor: Actor,
    now: datetime,
    previous_state: str | None,
) -> None:
    """The event of a transition into ``request.state``: state, previousState; companyId, role,
    reason where set."""
    values: dict[str, Any] = {"state": request.state, "previousState": previous_state}
    for name, value in (
        ("companyId", request.company_id),
        ("role", request.role),
        ("reason", request.decline_reason or request.invalid_reason),
    ):
        if value is not None:
            values[name] = value
    await queries.append_event(db, request.id, event_type, actor, now, list(values), values)


async def withdraw_requests(db: Database, store: str, email: str, actor: Actor, now: datetime) -> None:
    """CB §5.2 row 14, in the anonymization's transaction: the e-mail's open requests become invalid
    ``withdrawn`` and the personal data of all its requests is erased."""
    key = email_key(email)
    for request_id in await queries.open_requests_of_email(db, store, key):
        current = await queries.request_by_id(db, request_id)
        if current is None:
            continue
        changed = await queries.transition(
            db,
            request_id,
            current.state,
            {"state": "invalid", "invalid_reason": "withdrawn", "password_hash": None, "updated_at": now},
        )
        if changed is not None:
            await record_event(db, changed, WAS_INVALIDATED, actor, now, current.state)
    await queries.scrub_requests_of_email(db, store, key, f"withdrawn-{uuid.uuid4().hex}@anonymized.invalid")
