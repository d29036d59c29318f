"""SQL for sessions and refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Customer
from app.queries._common import mapping, precompiled
from app.queries.customers import CUSTOMER_COLUMNS, customer_from_row
from app.tables import customers, refresh_tokens, sessions

__all__ = [
    "RefreshTokenState",
    "insert_session",
    "insert_company_session",
    "insert_refresh_token",
    "live_session_customer",
    "refresh_token_state",
    "mark_rotated",
    "revoke_session",
    "revoke_customer_sessions",
    "session_of_refresh_token",
]


@dataclass(frozen=True)
class RefreshTokenState:
    session_id: str
    customer_id: int
    customer_reference: str
    customer_store: str
    rotated: bool
    session_usable: bool
    expires_at: datetime
    company_user_id: str | None = None


_INSERTED_SESSION = (
    sessions.insert()
    .values(
        id=sa.bindparam("session_id"),
        customer_id=sa.bindparam("customer_id"),
        created_at=sa.bindparam("now", type_=sessions.c.created_at.type),
        expires_at=sa.bindparam("expires_at", type_=sessions.c.expires_at.type),
    )
    .returning(sessions.c.id)
    .cte("inserted_session")
)
_INSERT_SESSION_WITH_REFRESH_TOKEN = precompiled(
    refresh_tokens.insert().from_select(
        ["digest", "session_id", "created_at"],
        sa.select(
            sa.bindparam("refresh_digest", type_=refresh_tokens.c.digest.type),
            _INSERTED_SESSION.c.id,
            sa.bindparam("now", type_=refresh_tokens.c.created_at.type),
        ),
    )
)


async def insert_session(
    db: Database, session_id: str, customer_id: int, now: datetime, expires_at: datetime, refresh_digest: str
) -> None:
    """A new session with its first refresh token: one statement on PostgreSQL (a data-modifying CTE,
    atomic without a transaction of its own); on SQLite, which has no such CTE, two inserts in one
    transaction."""
    if db.is_sqlite:
        async with db.transaction():
            await db.execute(
                sessions.insert().values(
                    id=session_id, customer_id=customer_id, created_at=now, expires_at=expires_at
                )
            )
            await insert_refresh_token(db, refresh_digest, session_id, now)
        return
    await db.execute_precompiled(
        _INSERT_SESSION_WITH_REFRESH_TOKEN,
        session_id=session_id,
        customer_id=customer_id,
        now=now,
        expires_at=expires_at,
        refresh_digest=refresh_digest,
    )


async def insert_company_session(
    db: Database,
    session_id: str,
    customer_id: int,
    company_user_id: str,
    now: datetime,
    expires_at: datetime,
    refresh_digest: str,
) -> None:
    """A company token's session (CB §4.2), bound to ``company_user_id``, with its first refresh token."""
    async with db.transaction():
        await db.execute(
            sessions.insert().values(
                id=session_id,
                customer_id=customer_id,
                company_user_id=company_user_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await insert_refresh_token(db, refresh_digest, session_id, now)


async def insert_refresh_token(db: Database, digest: str, session_id: str, now: datetime) -> None:
    await db.execute(refresh_tokens.insert().values(digest=digest, session_id=session_id, created_at=now))


_LIVE_SESSION_CUSTOMER = precompiled(
    sa.select(*CUSTOMER_COLUMNS, sessions.c.company_user_id.label("session_company_user_id"))
    .select_from(sessions.join(customers, customers.c.id == sessions.c.customer_id))
    .where(
        sessions.c.id == sa.bindparam("session_id"),
        sessions.c.revoked_at.is_(None),
        customers.c.reference == sa.bindparam("reference"),
        customers.c.anonymized_at.is_(None),
        # A deactivated customer's tokens fail at once, whatever their expiry.
        # (A literal in the text: precompiled statements bind only the named parameters.)
        customers.c.status != sa.literal_column("'inactive'"),
    )
)


async def live_session_customer(
    db: Database, session_id: str, reference: str
) -> tuple[Customer, str | None] | None:
    """The customer of a session that is neither revoked nor belongs to an anonymised or
    deactivated customer, and the company user the session is bound to (None: a customer token's)."""
    row = await db.fetch_one_precompiled(_LIVE_SESSION_CUSTOMER, session_id=session_id, reference=reference)
    if row is None:
        return None
    return customer_from_row(row), mapping(row)["session_company_user_id"]


async def refresh_token_state(db: Database, digest: str, now: datetime) -> RefreshTokenState | None:
    row = await db.fetch_one(
        sa.select(
            refresh_tokens.c.session_id,
            refresh_tokens.c.rotated_at,
            sessions.c.customer_id,
            sessions.c.company_user_id,
            sessions.c.revoked_at,
            sessions.c.expires_at,
            customers.c.reference,
            customers.c.store,
            customers.c.anonymized_at,
            customers.c.status,
        )
        .select_from(
            refresh_tokens.join(sessions, sessions.c.id == refresh_tokens.c.session_id).join(
                customers, customers.c.id == sessions.c.customer_id
            )
        )
        .where(refresh_tokens.c.digest == digest)
    )
    if row is None:
        return None
    values = row._mapping
    expires_at = as_utc(values["expires_at"])
    usable = (
        values["revoked_at"] is None
        and values["anonymized_at"] is None
        and values["status"] != "inactive"
        and expires_at > now
    )
    return RefreshTokenState(
        session_id=values["session_id"],
        customer_id=values["customer_id"],
        customer_reference=values["reference"],
        customer_store=values["store"],
        rotated=values["rotated_at"] is not None,
        session_usable=usable,
        expires_at=expires_at,
        company_user_id=values["company_user_id"],
    )


async def mark_rotated(db: Database, digest: str, now: datetime) -> bool:
    """Exchange a refresh token once; False when a concurrent request exchanged it first."""
    row = await db.fetch_one(
        refresh_tokens.update()
        .where(refresh_tokens.c.digest == digest, refresh_tokens.c.rotated_at.is_(None))
        .values(rotated_at=now)
        .returning(refresh_tokens.c.digest)
    )
    return row is not None


async def session_of_refresh_token(db: Database, digest: str) -> tuple[str, int] | None:
    row = await db.fetch_one(
        sa.select(sessions.c.id, sessions.c.customer_id)
        .select_from(refresh_tokens.join(sessions, sessions.c.id == refresh_tokens.c.session_id))
        .where(refresh_tokens.c.digest == digest)
    )
    return (row[0], row[1]) if row else None


async def revoke_session(
    db: Database, session_id: str, now: datetime, customer_id: int | None = None
) -> None:
    conditions = [sessions.c.id == session_id, sessions.c.revoked_at.is_(None)]
    if customer_id is not None:
        conditions.append(sessions.c.customer_id == customer_id)
    await db.execute(sessions.update().where(*conditions).values(revoked_at=now))


async def revoke_customer_sessions(
    db: Database, customer_id: int, now: datetime, keep_session_id: str | None = None
) -> None:
    conditions = [sessions.c.customer_id == customer_id, sessions.c.revoked_at.is_(None)]
    if keep_session_id is not None:
        conditions.append(sessions.c.id != keep_session_id)
    await db.execute(sessions.update().where(*conditions).values(revoked_at=now))
