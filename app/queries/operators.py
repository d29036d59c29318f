"""SQL for operators, their sessions and refresh tokens (BO §2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import Operator
from app.queries._common import is_unique_violation, mapping
from app.tables import operator_refresh_tokens, operator_sessions, operators

__all__ = [
    "EmailTaken",
    "OperatorFilters",
    "OperatorRefreshState",
    "join_stores",
    "split_stores",
    "insert_operator",
    "operator_by_id",
    "operator_by_email",
    "password_hash_of",
    "list_operators",
    "update_operator",
    "delete_operator",
    "lock_active_operator_admins",
    "insert_session",
    "insert_refresh_token",
    "live_session_operator",
    "refresh_token_state",
    "mark_rotated",
    "session_of_refresh_token",
    "revoke_session",
    "revoke_operator_sessions",
    "set_last_login",
]


class EmailTaken(Exception):
    """Another operator has this e-mail (the unique index said so)."""


def join_stores(stores: tuple[str, ...] | None) -> str | None:
    return None if stores is None else ",".join(stores)


def split_stores(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(code for code in value.split(",") if code)


def operator_from_row(row: Any) -> Operator:
    values = mapping(row)
    last_login = values["last_login_at"]
    return Operator(
        id=values["id"],
        email=values["email"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        phone=values["phone"],
        role=values["role"],
        permissions=tuple(values["permissions"].split()),
        stores=split_stores(values["stores"]),
        pos_id=values["pos_id"],
        allow_point_transfer=bool(values["allow_point_transfer"]),
        active=bool(values["active"]),
        mfa_active=bool(values["mfa_active"]),
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
        last_login_at=as_utc(last_login) if last_login is not None else None,
    )


_COLUMNS = [
    operators.c[name]
    for name in (
        "id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "role",
        "permissions",
        "stores",
        "pos_id",
        "allow_point_transfer",
        "active",
        "mfa_active",
        "created_at",
        "updated_at",
        "last_login_at",
    )
]


def _row_values(changes: dict[str, Any]) -> dict[str, Any]:
    values = dict(changes)
    if "permissions" in values:
        values["permissions"] = " ".join(values["permissions"])
    if "stores" in values:
        values["stores"] = join_stores(values["stores"])
    return values


async def insert_operator(db: Database, values: dict[str, Any]) -> None:
    """Raises EmailTaken when the e-mail key is taken."""
    try:
        await db.execute(operators.insert().values(**_row_values(values)))
    except Exception as error:
        if is_unique_violation(error):
            raise EmailTaken from None
        raise


async def operator_by_id(db: Database, operator_id: str) -> Operator | None:
    row = await db.fetch_one(sa.select(*_COLUMNS).where(operators.c.id == operator_id))
    return operator_from_row(row) if row else None


async def operator_by_email(db: Database, email_key: str) -> tuple[Operator, str | None] | None:
    """The operator of an e-mail key with its password hash."""
    row = await db.fetch_one(
        sa.select(*_COLUMNS, operators.c.password_hash).where(operators.c.email_key == email_key)
    )
    return (operator_from_row(row), mapping(row)["password_hash"]) if row else None


async def password_hash_of(db: Database, operator_id: str) -> str | None:
    row = await db.fetch_one(sa.select(operators.c.password_hash).where(operators.c.id == operator_id))
    return row[0] if row else None


@dataclass(frozen=True)
class OperatorFilters:
    role: str | None = None
    active: bool | None = None
    pos_id: str | None = None
    email: str | None = None  # contains, case-insensitively


def _escaped_like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_operators(
    db: Database, filters: OperatorFilters, after: tuple[datetime, str] | None, limit: int
) -> list[Operator]:
    """Newest first (created_at, then id, descending), ``limit`` rows after the cursor."""
    conditions: list[Any] = []
    if filters.role is not None:
        conditions.append(operators.c.role == filters.role)
    if filters.active is not None:
        conditions.append(operators.c.active == filters.active)
    if filters.pos_id is not None:
        conditions.append(operators.c.pos_id == filters.pos_id)
    if filters.email is not None:
        conditions.append(operators.c.email_key.like(_escaped_like(filters.email.lower()), escape="\\"))
    if after is not None:
        conditions.append(sa.tuple_(operators.c.created_at, operators.c.id) < sa.tuple_(*after))
    rows = await db.fetch_all(
        sa.select(*_COLUMNS)
        .where(*conditions)
        .order_by(operators.c.created_at.desc(), operators.c.id.desc())
        .limit(limit)
    )
    return [operator_from_row(row) for row in rows]


async def update_operator(db: Database, operator_id: str, changes: dict[str, Any]) -> None:
    """Raises EmailTaken when a new e-mail key is taken."""
    try:
        await db.execute(
            operators.update().where(operators.c.id == operator_id).values(**_row_values(changes))
        )
    except Exception as error:
        if is_unique_violation(error):
            raise EmailTaken from None
        raise


async def delete_operator(db: Database, operator_id: str) -> None:
    sessions = sa.select(operator_sessions.c.id).where(operator_sessions.c.operator_id == operator_id)
    await db.execute(
        operator_refresh_tokens.delete().where(operator_refresh_tokens.c.session_id.in_(sessions))
    )
    await db.execute(operator_sessions.delete().where(operator_sessions.c.operator_id == operator_id))
    await db.execute(operators.delete().where(operators.c.id == operator_id))


async def lock_active_operator_admins(db: Database) -> list[str]:
    """The ids of the active admins holding operators:write, their rows locked (FOR UPDATE, in id
    order so concurrent writers queue instead of deadlocking) until the caller's transaction ends.
    A writer that waited re-reads the rows another one changed meanwhile (PostgreSQL re-checks the
    condition on the newest row), so two writers never both see the other as the one who remains.
    SQLite has one writer at a time anyway."""
    rows = await db.fetch_all(
        sa.select(operators.c.id)
        .where(
            operators.c.role == "admin",
            operators.c.active.is_(True),
            (" " + operators.c.permissions + " ").like("% operators:write %"),
        )
        .order_by(operators.c.id)
        .with_for_update()
    )
    return [row[0] for row in rows]


async def insert_session(
    db: Database,
    session_id: str,
    operator_id: str,
    now: datetime,
    expires_at: datetime,
    refresh_digest: str,
    *,
    enrolment_only: bool = False,
) -> None:
    """A new session with its first refresh token, in the caller's transaction."""
    await db.execute(
        operator_sessions.insert().values(
            id=session_id,
            operator_id=operator_id,
            created_at=now,
            expires_at=expires_at,
            enrolment_only=enrolment_only,
        )
    )
    await insert_refresh_token(db, refresh_digest, session_id, now)


async def insert_refresh_token(db: Database, digest: str, session_id: str, now: datetime) -> None:
    await db.execute(
        operator_refresh_tokens.insert().values(digest=digest, session_id=session_id, created_at=now)
    )


async def live_session_operator(
    db: Database, session_id: str, operator_id: str
) -> tuple[Operator, bool] | None:
    """The active operator of a session that is not revoked (the per-request lookup), and whether
    the session is enrolment-only (BO §2.1)."""
    row = await db.fetch_one(
        sa.select(*_COLUMNS, operator_sessions.c.enrolment_only)
        .select_from(operator_sessions.join(operators, operators.c.id == operator_sessions.c.operator_id))
        .where(
            operator_sessions.c.id == session_id,
            operator_sessions.c.revoked_at.is_(None),
            operators.c.id == operator_id,
            operators.c.active.is_(True),
        )
    )
    return (operator_from_row(row), bool(mapping(row)["enrolment_only"])) if row else None


@dataclass(frozen=True)
class OperatorRefreshState:
    session_id: str
    operator_id: str
    rotated: bool
    session_usable: bool
    expires_at: datetime


async def refresh_token_state(db: Database, digest: str, now: datetime) -> OperatorRefreshState | None:
    row = await db.fetch_one(
        sa.select(
            operator_refresh_tokens.c.session_id,
            operator_refresh_tokens.c.rotated_at,
            operator_sessions.c.operator_id,
            operator_sessions.c.revoked_at,
            operator_sessions.c.expires_at,
            operators.c.active,
        )
        .select_from(
            operator_refresh_tokens.join(
                operator_sessions, operator_sessions.c.id == operator_refresh_tokens.c.session_id
            ).join(operators, operators.c.id == operator_sessions.c.operator_id)
        )
        .where(operator_refresh_tokens.c.digest == digest)
    )
    if row is None:
        return None
    values = mapping(row)
    expires_at = as_utc(values["expires_at"])
    return OperatorRefreshState(
        session_id=values["session_id"],
        operator_id=values["operator_id"],
        rotated=values["rotated_at"] is not None,
        session_usable=values["revoked_at"] is None and bool(values["active"]) and expires_at > now,
        expires_at=expires_at,
    )


async def mark_rotated(db: Database, digest: str, now: datetime) -> bool:
    row = await db.fetch_one(
        operator_refresh_tokens.update()
        .where(operator_refresh_tokens.c.digest == digest, operator_refresh_tokens.c.rotated_at.is_(None))
        .values(rotated_at=now)
        .returning(operator_refresh_tokens.c.digest)
    )
    return row is not None


async def session_of_refresh_token(db: Database, digest: str) -> tuple[str, str] | None:
    row = await db.fetch_one(
        sa.select(operator_sessions.c.id, operator_sessions.c.operator_id)
        .select_from(
            operator_refresh_tokens.join(
                operator_sessions, operator_sessions.c.id == operator_refresh_tokens.c.session_id
            )
        )
        .where(operator_refresh_tokens.c.digest == digest)
    )
    return (row[0], row[1]) if row else None


async def revoke_session(db: Database, session_id: str, now: datetime) -> None:
    await db.execute(
        operator_sessions.update()
        .where(operator_sessions.c.id == session_id, operator_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_operator_sessions(
    db: Database, operator_id: str, now: datetime, keep_session_id: str | None = None
) -> None:
    conditions = [operator_sessions.c.operator_id == operator_id, operator_sessions.c.revoked_at.is_(None)]
    if keep_session_id is not None:
        conditions.append(operator_sessions.c.id != keep_session_id)
    await db.execute(operator_sessions.update().where(*conditions).values(revoked_at=now))


async def set_last_login(db: Database, operator_id: str, now: datetime) -> None:
    await db.execute(operators.update().where(operators.c.id == operator_id).values(last_login_at=now))
