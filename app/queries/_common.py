from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
import sqlalchemy as sa

__all__ = ["is_unique_violation", "mapping", "precompiled"]


def precompiled(statement: sa.Select[Any]) -> sa.TextualSelect:
    """Compile a hot, fixed SELECT to SQL text once; each call then only binds its named parameters.

    The databases library compiles every statement it runs; for the query behind every
    authenticated request that compilation costs more than the rest of the lookup.
    """
    sql = str(statement.compile(compile_kwargs={"render_postcompile": True}))
    return sa.text(sql).columns(*statement.selected_columns)


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


def mapping(record: Any) -> dict[str, Any]:
    return dict(record._mapping)
