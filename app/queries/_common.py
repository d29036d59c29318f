from __future__ import annotations

import json
import sqlite3
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg

from app.database import Database, PrecompiledSelect

__all__ = ["is_unique_violation", "violated_unique_columns", "mapping", "precompiled", "insert_rows"]


# The dialect our PostgreSQL statements are compiled for (types included).
_POSTGRESQL = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]


def precompiled(statement: sa.Executable) -> PrecompiledSelect:
    """Compile a hot, fixed statement once, for ``Database.fetch_one_precompiled`` and its siblings.

    The databases library compiles every statement it runs; for the query behind every
    authenticated request that compilation costs more than the rest of the lookup. Parameters are
    ``sa.bindparam(name)`` placeholders, bound by name on each call.
    """
    compiled = statement.compile(dialect=_POSTGRESQL, compile_kwargs={"render_postcompile": True})  # type: ignore[attr-defined]
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


async def insert_rows(
    db: Database, table: sa.Table, rows: list[dict[str, Any]], returning: tuple[sa.Column[Any], ...] = ()
) -> list[Any]:
    """Several rows (the same keys each) in one statement, with ``returning``'s columns of each
    (in the rows' order on PostgreSQL, whose statement is written here: SQLAlchemy's compiler
    costs more than the insert for hundreds of rows; SQLite goes through SQLAlchemy). Without
    ``returning`` PostgreSQL takes them by COPY."""
    if not rows:
        return []
    if db.is_sqlite:
        statement = table.insert().values(rows)
        if returning:
            return list(await db.fetch_all(statement.returning(*returning)))
        await db.execute(statement)
        return []
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, sa.JSON)}
    if not returning:  # nothing to read back: COPY, which parses and plans no statement
        encoded = [position for position, name in enumerate(names) if name in json_columns]
        records = [[row[name] for name in names] for row in rows]
        for record in records:
            for position in encoded:
                if record[position] is not None:
                    record[position] = json.dumps(record[position])
        await db.copy_records(table.name, names, records)
        return []
    # One array per column, unnested: one statement text (and one prepared statement) whatever
    # the number of rows, and no parameter list of rows × columns to parse.
    arrays = []
    arguments: list[Any] = []
    for position, name in enumerate(names, start=1):
        if name in json_columns:
            arguments.append([json.dumps(row[name]) if row[name] is not None else None for row in rows])
            arrays.append(f"${position}::text[]::json[]")
        else:
            arguments.append([row[name] for row in rows])
            arrays.append(f"${position}::{table.c[name].type.compile(dialect=_POSTGRESQL)}[]")
    columns = ", ".join(f'"{name}"' for name in names)
    sql = f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({", ".join(arrays)})'  # noqa: S608 - our names
    if returning:
        sql += " RETURNING " + ", ".join(f'"{column.name}"' for column in returning)
    return await db.fetch_all_raw(sql, arguments)


def mapping(record: Any) -> dict[str, Any]:
    """A row as a dict, whether it came through databases (``_mapping``) or straight from asyncpg."""
    return dict(getattr(record, "_mapping", record))
