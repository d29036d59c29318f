from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg

from app.database import PrecompiledSelect

__all__ = ["is_unique_violation", "violated_unique_columns", "mapping", "precompiled"]


def precompiled(statement: sa.Executable) -> PrecompiledSelect:
    """Compile a hot, fixed statement once, for ``Database.fetch_one_precompiled`` and its siblings.

    The databases library compiles every statement it runs; for the query behind every
    authenticated request that compilation costs more than the rest of the lookup. Parameters are
    ``sa.bindparam(name)`` placeholders, bound by name on each call.
    """
    dialect = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})  # type: ignore[attr-defined]
    return PrecompiledSelect(
        statement=statement,
        postgresql=compiled.string,
        parameter_order=tuple(compiled.positiontup or ()),
    )


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


def violated_unique_columns(error: BaseException) -> str:
    """Which unique index a violation hit, as text naming its columns: PostgreSQL's constraint name
    (``uq_customers_store_phone``), SQLite's message (``… failed: customers.store, customers.phone``)."""
    if isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return str(error.constraint_name or "")
    return str(error)


def mapping(record: Any) -> dict[str, Any]:
    """A row as a dict, whether it came through databases (``_mapping``) or straight from asyncpg."""
    return dict(getattr(record, "_mapping", record))
