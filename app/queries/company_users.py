"""SQL for company users (CB §4.1): the membership rows joined with their customer and company."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import CompanyUser
from app.queries._common import mapping
from app.queries.companies import COMPANY_COLUMNS, company_from_row
from app.tables import companies, company_users, customers, sessions

__all__ = [
    "insert_company_user",
    "company_user_by_id",
    "membership_exists",
    "count_company_users",
    "count_other_active_admins",
    "list_company_users",
    "update_company_user",
    "delete_company_user",
    "delete_customer_company_users",
    "revoke_company_user_sessions",
    "revoke_company_sessions",
]

_OLDER = company_users.alias("older")
_OLDER_COMPANY = companies.alias("older_company")
# The customer's oldest active membership of an active company is its default (CB §4.1).
_IS_DEFAULT = sa.and_(
    company_users.c.is_active,
    companies.c.is_active,
    ~sa.exists(
        sa.select(sa.literal(1))
        .select_from(_OLDER.join(_OLDER_COMPANY, _OLDER_COMPANY.c.id == _OLDER.c.company_id))
        .where(
            _OLDER.c.customer_id == company_users.c.customer_id,
            _OLDER.c.is_active,
            _OLDER_COMPANY.c.is_active,
            sa.tuple_(_OLDER.c.created_at, _OLDER.c.id)
            < sa.tuple_(company_users.c.created_at, company_users.c.id),
        )
    ),
)
_COLUMNS = [
    company_users.c.id,
    company_users.c.company_id,
    company_users.c.customer_id,
    company_users.c.role,
    company_users.c.is_active,
    company_users.c.created_at,
    company_users.c.updated_at,
    customers.c.reference,
    customers.c.email,
    customers.c.first_name,
    customers.c.last_name,
    _IS_DEFAULT.label("is_default"),
    *(column.label("company__" + column.name) for column in COMPANY_COLUMNS),
]
_JOINED = company_users.join(customers, customers.c.id == company_users.c.customer_id).join(
    companies, companies.c.id == company_users.c.company_id
)


def _from_row(row: Any) -> CompanyUser:
    values = mapping(row)
    company = company_from_row(row, prefix="company__")
    return CompanyUser(
        id=values["id"],
        company_id=values["company_id"],
        customer_id=values["customer_id"],
        customer_reference=values["reference"],
        store=company.store,
        email=values["email"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        role=values["role"],
        is_active=bool(values["is_active"]),
        is_default=bool(values["is_default"]),
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
        company=company,
    )


async def insert_company_user(db: Database, values: dict[str, Any]) -> None:
    await db.execute(company_users.insert().values(**values))


async def company_user_by_id(db: Database, company_user_id: str) -> CompanyUser | None:
    row = await db.fetch_one(
        sa.select(*_COLUMNS).select_from(_JOINED).where(company_users.c.id == company_user_id)
    )
    return _from_row(row) if row else None


async def membership_exists(db: Database, company_id: str, customer_id: int) -> bool:
    row = await db.fetch_one(
        sa.select(company_users.c.id).where(
            company_users.c.company_id == company_id, company_users.c.customer_id == customer_id
        )
    )
    return row is not None


async def list_company_users(
    db: Database,
    *,
    company_id: str | None = None,
    customer_id: int | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    active_companies_only: bool = False,
    after: tuple[datetime, str] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[CompanyUser]:
    """Newest first (a customer's own: oldest first, the default leading)."""
    conditions: list[Any] = []
    if company_id is not None:
        conditions.append(company_users.c.company_id == company_id)
    if customer_id is not None:
        conditions.append(company_users.c.customer_id == customer_id)
    if role is not None:
        conditions.append(company_users.c.role == role)
    if is_active is not None:
        conditions.append(company_users.c.is_active == is_active)
    if active_companies_only:
        conditions.append(companies.c.is_active)
    if after is not None:
        conditions.append(sa.tuple_(company_users.c.created_at, company_users.c.id) < sa.tuple_(*after))
    if customer_id is not None and company_id is None:
        order = [company_users.c.created_at.asc(), company_users.c.id.asc()]
    else:
        order = [company_users.c.created_at.desc(), company_users.c.id.desc()]
    statement = sa.select(*_COLUMNS).select_from(_JOINED).where(*conditions).order_by(*order).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return [_from_row(row) for row in await db.fetch_all(statement)]


async def count_company_users(
    db: Database, company_id: str, role: str | None = None, is_active: bool | None = None
) -> int:
    conditions: list[Any] = [company_users.c.company_id == company_id]
    if role is not None:
        conditions.append(company_users.c.role == role)
    if is_active is not None:
        conditions.append(company_users.c.is_active == is_active)
    row = await db.fetch_one(sa.select(sa.func.count()).select_from(company_users).where(*conditions))
    return int(row[0])


async def count_other_active_admins(db: Database, company_id: str, company_user_id: str) -> int:
    """The company's active administrators but ``company_user_id`` (the last-admin rule, CB §4.3)."""
    row = await db.fetch_one(
        sa.select(sa.func.count())
        .select_from(company_users)
        .where(
            company_users.c.company_id == company_id,
            company_users.c.id != company_user_id,
            company_users.c.role == "admin",
            company_users.c.is_active,
        )
    )
    return int(row[0])


async def update_company_user(db: Database, company_user_id: str, changes: dict[str, Any]) -> None:
    await db.execute(company_users.update().where(company_users.c.id == company_user_id).values(**changes))


async def delete_company_user(db: Database, company_user_id: str) -> None:
    await db.execute(company_users.delete().where(company_users.c.id == company_user_id))


async def delete_customer_company_users(db: Database, customer_id: int) -> None:
    """Every membership of the customer (its anonymization, CB §1)."""
    await db.execute(company_users.delete().where(company_users.c.customer_id == customer_id))


async def revoke_company_user_sessions(db: Database, company_user_id: str, now: datetime) -> None:
    """End every session bound to the company user (its company tokens; CB §4.2)."""
    await db.execute(
        sessions.update()
        .where(sessions.c.company_user_id == company_user_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_company_sessions(db: Database, company_id: str, now: datetime) -> None:
    """End every session bound to a user of the company."""
    members = sa.select(company_users.c.id).where(company_users.c.company_id == company_id)
    await db.execute(
        sessions.update()
        .where(sessions.c.company_user_id.in_(members), sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
