"""SQL for invitation symbols (CB §5.3): a company's request codes and e-mail domains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import as_utc
from app.database import Database
from app.models import InvitationSymbol
from app.queries._common import mapping
from app.tables import companies, invitation_symbols

__all__ = [
    "insert_symbol",
    "symbol_by_id",
    "list_symbols",
    "update_symbol",
    "delete_symbol",
    "matching_symbol",
    "count_use",
]


def _from_row(row: Any) -> InvitationSymbol:
    values = mapping(row)
    return InvitationSymbol(
        id=values["id"],
        company_id=values["company_id"],
        store=values["store"],
        kind=values["kind"],
        value=values["value"],
        role=values["role"],
        auto_approve=bool(values["auto_approve"]),
        is_active=bool(values["is_active"]),
        expires_at=as_utc(values["expires_at"]) if values["expires_at"] is not None else None,
        max_uses=values["max_uses"],
        uses=values["uses"],
        created_at=as_utc(values["created_at"]),
        updated_at=as_utc(values["updated_at"]),
    )


async def insert_symbol(db: Database, values: dict[str, Any]) -> None:
    await db.execute(invitation_symbols.insert().values(**values))


async def symbol_by_id(db: Database, symbol_id: str) -> InvitationSymbol | None:
    row = await db.fetch_one(sa.select(invitation_symbols).where(invitation_symbols.c.id == symbol_id))
    return _from_row(row) if row else None


async def list_symbols(
    db: Database, company_id: str, after: tuple[datetime, str] | None, limit: int
) -> list[InvitationSymbol]:
    """The company's symbols, newest first."""
    conditions: list[Any] = [invitation_symbols.c.company_id == company_id]
    if after is not None:
        conditions.append(
            sa.tuple_(invitation_symbols.c.created_at, invitation_symbols.c.id) < sa.tuple_(*after)
        )
    rows = await db.fetch_all(
        sa.select(invitation_symbols)
        .where(*conditions)
        .order_by(invitation_symbols.c.created_at.desc(), invitation_symbols.c.id.desc())
        .limit(limit)
    )
    return [_from_row(row) for row in rows]


async def update_symbol(db: Database, symbol_id: str, changes: dict[str, Any]) -> None:
    await db.execute(
        invitation_symbols.update().where(invitation_symbols.c.id == symbol_id).values(**changes)
    )


async def delete_symbol(db: Database, symbol_id: str) -> None:
    await db.execute(invitation_symbols.delete().where(invitation_symbols.c.id == symbol_id))


async def matching_symbol(
    db: Database, store: str, kind: str, value: str, now: datetime
) -> InvitationSymbol | None:
    """The store's active, unexpired, not used-up symbol of ``kind`` and ``value`` whose company is
    active (CB §5.3: symbols of inactive companies never match)."""
    row = await db.fetch_one(
        sa.select(invitation_symbols)
        .select_from(invitation_symbols.join(companies, companies.c.id == invitation_symbols.c.company_id))
        .where(
            invitation_symbols.c.store == store,
            invitation_symbols.c.kind == kind,
            invitation_symbols.c.value == value,
            invitation_symbols.c.is_active,
            companies.c.is_active,
            sa.or_(invitation_symbols.c.expires_at.is_(None), invitation_symbols.c.expires_at > now),
            sa.or_(
                invitation_symbols.c.max_uses.is_(None),
                invitation_symbols.c.uses < invitation_symbols.c.max_uses,
            ),
        )
    )
    return _from_row(row) if row else None


async def count_use(db: Database, symbol_id: str) -> bool:
    """One more use, unless the symbol was used up meanwhile (False then)."""
    row = await db.fetch_one(
        invitation_symbols.update()
        .where(
            invitation_symbols.c.id == symbol_id,
            sa.or_(
                invitation_symbols.c.max_uses.is_(None),
                invitation_symbols.c.uses < invitation_symbols.c.max_uses,
            ),
        )
        .values(uses=invitation_symbols.c.uses + 1)
        .returning(invitation_symbols.c.id)
    )
    return row is not None
