"""SQL of the back-office customer: lookups by reference (anonymized ones too), labels, status
changes and the history page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Customer, HistoryEvent
from app.queries._common import insert_rows
from app.queries.customers import CUSTOMER_COLUMNS, customer_from_row
from app.queries.history import event_from_row, page_of_events
from app.tables import (
    addresses,
    audit_events,
    company_users,
    credential_changes,
    customer_avatars,
    customer_events,
    customer_import_rows,
    customer_labels,
    customer_push_tokens,
    customers,
    mail_outbox,
    orders,
    payment_instruments,
    points_transfers,
    refresh_tokens,
    registration_keys,
    restore_password_keys,
    sessions,
    sms_codes,
)

__all__ = [
    "customer_by_reference",
    "labels_of",
    "replace_labels",
    "set_status",
    "spend_registration_keys",
    "history_page",
    "count_by_email_or_phone",
    "erase_customer",
    "sessions_of",
    "audit_entries_of",
    "import_rows_of",
    "company_users_of",
]


async def customer_by_reference(db: Database, reference: str) -> Customer | None:
    """The customer of ``reference``, anonymized or not (an erased one is gone)."""
    row = await db.fetch_one(sa.select(*CUSTOMER_COLUMNS).where(customers.c.reference == reference))
    return customer_from_row(row) if row else None


async def labels_of(db: Database, customer_id: int) -> list[dict[str, str]]:
    rows = await db.fetch_all(
        sa.select(customer_labels.c.key, customer_labels.c.value)
        .where(customer_labels.c.customer_id == customer_id)
        .order_by(customer_labels.c.id)
    )
    return [{"key": row[0], "value": row[1]} for row in rows]


async def replace_labels(db: Database, customer_id: int, labels: Sequence[dict[str, str]]) -> None:
    """The customer's labels become ``labels`` (in the caller's transaction)."""
    await db.execute(customer_labels.delete().where(customer_labels.c.customer_id == customer_id))
    for label in labels:
        await db.execute(
            customer_labels.insert().values(
                customer_id=customer_id,
                key=label["key"],
                value=label["value"],
                key_lower=label["key"].lower(),
                value_lower=label["value"].lower(),
            )
        )


async def insert_labels(db: Database, labels: Sequence[tuple[int, dict[str, str]]]) -> None:
    """Labels of new customers, (customer id, label) pairs, in one statement."""
    if labels:
        await insert_rows(
            db,
            customer_labels,
            [
                {
                    "customer_id": customer_id,
                    "key": label["key"],
                    "value": label["value"],
                    "key_lower": label["key"].lower(),
                    "value_lower": label["value"].lower(),
                }
                for customer_id, label in labels
            ],
        )


async def set_status(db: Database, customer_id: int, status: str, now: datetime) -> bool:
    """Change a live customer's status; False when it already has it (or is anonymized)."""
    row = await db.fetch_one(
        customers.update()
        .where(
            customers.c.id == customer_id,
            customers.c.status != status,
            customers.c.status != "anonymized",
        )
        .values(status=status, updated_at=now)
        .returning(customers.c.id)
    )
    return row is not None


async def spend_registration_keys(db: Database, customer_id: int, now: datetime) -> None:
    """Every open registration key of the customer is used up (activation consumes them)."""
    await db.execute(
        registration_keys.update()
        .where(registration_keys.c.customer_id == customer_id, registration_keys.c.used_at.is_(None))
        .values(used_at=now)
    )


async def history_page(
    db: Database, reference: str, event_types: Sequence[str], before_id: int | None, limit: int
) -> list[HistoryEvent]:
    """The events of ``reference``, newest first, below ``before_id``; erased customers' too."""
    owner = customer_events.c.customer_reference == reference
    rows = await db.fetch_all(page_of_events(customer_events, owner, event_types, before_id, limit))
    return [event_from_row(row) for row in rows]


async def count_by_email_or_phone(
    db: Database, key: str, phone: str | None, stores: Sequence[str] | None
) -> int:
    """Customers (of ``stores``; None: all) whose e-mail key or E.164 phone is exactly this."""
    match = customers.c.email_key == key
    if phone is not None:
        match = sa.or_(match, customers.c.phone == phone)
    conditions: list[Any] = [match]
    if stores is not None:
        conditions.append(customers.c.store.in_(list(stores)))
    row = await db.fetch_one(sa.select(sa.func.count()).select_from(customers).where(*conditions))
    return int(row[0])


async def erase_customer(db: Database, customer: Customer) -> None:
    """Delete the customer and every row of it: sessions and refresh tokens, addresses, labels,
    keys, text codes, pending credential changes, avatar, push tokens, orders and payment
    instruments, points transfers, company users (CB §1), history, the import rows naming it, and
    the unsent mail and texts to its address or phone (in the caller's transaction)."""
    owned = sa.select(sessions.c.id).where(sessions.c.customer_id == customer.id)
    await db.execute(refresh_tokens.delete().where(refresh_tokens.c.session_id.in_(owned)))
    for table in (
        sessions,
        addresses,
        customer_labels,
        restore_password_keys,
        registration_keys,
        sms_codes,
        credential_changes,
        customer_avatars,
        customer_push_tokens,
        orders,
        payment_instruments,
        points_transfers,
        company_users,
    ):
        await db.execute(table.delete().where(table.c.customer_id == customer.id))
    await db.execute(customer_events.delete().where(customer_events.c.customer_id == customer.id))
    recipients = [value for value in (customer.email, customer.phone) if value]
    await db.execute(
        mail_outbox.delete().where(
            mail_outbox.c.recipient.in_(recipients),
            mail_outbox.c.sent_at.is_(None),
            mail_outbox.c.failed_at.is_(None),
        )
    )
    await db.execute(
        customer_import_rows.delete().where(customer_import_rows.c.customer_reference == customer.reference)
    )
    await db.execute(customers.delete().where(customers.c.id == customer.id))


async def sessions_of(db: Database, customer_id: int) -> list[dict[str, Any]]:
    """The customer's sessions, oldest first: id and times, never a token."""
    rows = await db.fetch_all(
        sa.select(sessions.c.id, sessions.c.created_at, sessions.c.expires_at, sessions.c.revoked_at)
        .where(sessions.c.customer_id == customer_id)
        .order_by(sessions.c.created_at, sessions.c.id)
    )
    return [
        {
            "id": row[0],
            "createdAt": as_utc(row[1]).isoformat(),
            "expiresAt": as_utc(row[2]).isoformat(),
            "revokedAt": as_utc(row[3]).isoformat() if row[3] is not None else None,
        }
        for row in rows
    ]


async def import_rows_of(db: Database, reference: str) -> list[dict[str, Any]]:
    """The import rows that created the customer: import id and row."""
    rows = await db.fetch_all(
        sa.select(customer_import_rows.c.import_id, customer_import_rows.c.row)
        .where(customer_import_rows.c.customer_reference == reference)
        .order_by(customer_import_rows.c.import_id, customer_import_rows.c.row)
    )
    return [{"importId": row[0], "row": int(row[1])} for row in rows]


async def audit_entries_of(db: Database, reference: str) -> list[dict[str, Any]]:
    """The audit entries naming the customer, oldest first."""
    rows = await db.fetch_all(
        sa.select(audit_events.c.occurred_at, audit_events.c.action, audit_events.c.operator_id)
        .where(audit_events.c.customer_reference == reference)
        .order_by(audit_events.c.id)
    )
    return [
        {"occurredAt": as_utc(row[0]).isoformat(), "action": row[1], "operatorId": row[2]} for row in rows
    ]


async def company_users_of(db: Database, customer_id: int) -> list[dict[str, Any]]:
    """The customer's company users (CB §1's export), active or not, oldest first."""
    rows = await db.fetch_all(
        sa.select(
            company_users.c.id,
            company_users.c.company_id,
            company_users.c.role,
            company_users.c.is_active,
            company_users.c.created_at,
        )
        .where(company_users.c.customer_id == customer_id)
        .order_by(company_users.c.created_at, company_users.c.id)
    )
    return [
        {
            "id": row[0],
            "companyId": row[1],
            "role": row[2],
            "isActive": bool(row[3]),
            "createdAt": as_utc(row[4]).isoformat(),
        }
        for row in rows
    ]
