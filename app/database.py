"""The database handle: encode/databases over asyncpg (PostgreSQL) or aiosqlite (embedded SQLite).

Writes go through ``Database.transaction()``. SQLite allows one writer at a time: a process
serialises its own write transactions, and each begins IMMEDIATE so that writers in other worker
processes queue on the file lock (for up to the busy timeout) instead of failing when a read
transaction upgrades to write. PostgreSQL runs transactions concurrently and relies on row locks.

Every wait is bounded by ``settings.database_timeout``: opening a connection, waiting for a free one
in the pool, each statement. An unreachable or locked database raises an error for which
``is_unavailable`` is true; the edge answers those with 503 (code 018).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import databases

from app import metrics
from app.settings import Settings

__all__ = ["Database", "PrecompiledSelect", "Row", "connection_errors", "is_unavailable"]


class Row:
    """A PostgreSQL row read straight from asyncpg, shaped like the rows databases returns."""

    __slots__ = ("_mapping",)

    def __init__(self, record: Any) -> None:
        self._mapping = record  # asyncpg.Record: by name and position, keys(), items()

    def __getitem__(self, key: int | str) -> Any:
        return self._mapping[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._mapping.values())

    def __len__(self) -> int:
        return len(self._mapping)


@dataclass(frozen=True)
class _CompiledStatement:
    compiled: Any
    sql: str
    parameter_order: tuple[str, ...]
    processors: dict[str, Any]


class _StatementCache:
    """Compiled SQL per statement shape, as SQLAlchemy's engine keeps it (the databases library
    compiles every statement anew, which costs more than a round trip to PostgreSQL).

    The key is SQLAlchemy's cache key of the statement; each call binds its own literal values.
    Statements without a cache key, or with lists expanded at execution (``IN``), are not cached.
    """

    def __init__(self, size: int = 512) -> None:
        from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg

        self._dialect = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]
        self._entries: dict[Any, _CompiledStatement | None] = {}
        self._size = size

    def prepare(self, statement: Any) -> tuple[str, list[Any]] | None:
        """SQL with $n placeholders and its arguments, or None when the statement is not cacheable."""
        generate = getattr(statement, "_generate_cache_key", None)
        cache_key = generate() if generate else None
        if cache_key is None:
            return None
        entry = self._entries.get(cache_key.key, ...)
        if entry is ...:
            entry = self._compile(statement, cache_key)
            if len(self._entries) < self._size:
                self._entries[cache_key.key] = entry
        if entry is None:
            return None
        values = entry.compiled.construct_params(extracted_parameters=cache_key[1])
        arguments = []
        for name in entry.parameter_order:
            processor = entry.processors.get(name)
            arguments.append(processor(values[name]) if processor else values[name])
        return entry.sql, arguments

    def _compile(self, statement: Any, cache_key: Any) -> _CompiledStatement | None:
        compiled = self._dialect.statement_compiler(self._dialect, statement, cache_key=cache_key)
        if "POSTCOMPILE" in compiled.string:
            return None
        return _CompiledStatement(
            compiled=compiled,
            sql=compiled.string,
            parameter_order=tuple(compiled.positiontup or ()),
            processors=dict(compiled._bind_processors),
        )


@dataclass(frozen=True)
class PrecompiledSelect:
    """A fixed statement compiled once: PostgreSQL SQL with ``$n`` placeholders and their names in
    order (a SELECT, or a write whose rows, if any, come from RETURNING)."""

    statement: Any
    postgresql: str
    parameter_order: tuple[str, ...]


def _connection_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        OSError,
        asyncio.TimeoutError,
        asyncpg.exceptions.PostgresConnectionError,
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.InterfaceError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.TooManyConnectionsError,
        asyncpg.exceptions.AdminShutdownError,
    )


connection_errors = _connection_errors()


def _redis_connection_errors() -> tuple[type[BaseException], ...]:
    # redis is imported only where GLUE_REDIS_URL is set (its package costs a worker ~10 MB):
    # where it was never imported, no error of its can be raised.
    redis_exceptions = sys.modules.get("redis.exceptions")
    if redis_exceptions is None:
        return ()
    return (redis_exceptions.ConnectionError, redis_exceptions.TimeoutError)


# SQLITE_BUSY and SQLITE_LOCKED: another process held the write lock past the busy timeout.
_SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or locked in time: worth a retry, not a bug."""
    if isinstance(error, connection_errors + _redis_connection_errors()):
        return True
    return isinstance(error, sqlite3.OperationalError) and (
        (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY_CODES
    )


async def _keep_session_state(connection: Any) -> None:
    """Release a pooled connection without asyncpg's RESET ALL / UNLISTEN / CLOSE ALL round trip.

    asyncpg still rolls back an open transaction before calling this; the service sets no
    session variables, takes no advisory locks and listens to nothing, so there is nothing to reset.
    """


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.is_sqlite = settings.uses_sqlite
        url = settings.database_url
        options: dict[str, Any]
        if self.is_sqlite:
            options = {"timeout": settings.database_timeout}
        else:
            url = url.replace("postgresql+asyncpg://", "postgresql://")
            options = {
                # No connection floor: the service starts while the database is down (answering 503
                # until it returns), and after an outage connections are opened again on demand.
                "min_size": 0,
                "max_size": settings.database_pool_size,
                "timeout": settings.database_timeout,
                "command_timeout": settings.database_timeout,
                "reset": _keep_session_state,
            }
        self.raw = databases.Database(url, **options)
        self._sqlite_write_lock = asyncio.Lock()
        self._statements = None if self.is_sqlite else _StatementCache()

    async def connect(self) -> None:
        await self.raw.connect()
        if self.is_sqlite:
            await self.raw.execute("PRAGMA journal_mode=WAL")
        else:
            metrics.database_pool_size(self.settings.database_pool_size)

    async def disconnect(self) -> None:
        await self.raw.disconnect()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[databases.core.Connection]:
        """This task's connection; waiting for a free one in the pool is bounded by the timeout too."""
        async with AsyncExitStack() as stack:
            waiting_since = time.perf_counter()
            if self.is_sqlite:
                connection = await stack.enter_async_context(self.raw.connection())
            else:
                async with asyncio.timeout(self.settings.database_timeout):
                    connection = await stack.enter_async_context(self.raw.connection())
            # databases hands a task the connection it already holds (a query inside a transaction):
            # only the entry that took it from the pool counts as a connection in use.
            if getattr(connection, "_connection_counter", 1) == 1:
                stack.enter_context(metrics.database_connection(time.perf_counter() - waiting_since))
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[databases.core.Connection]:
        """One transaction on this task's connection; committed on success, rolled back on error."""
        if self.is_sqlite:
            async with self._sqlite_write_lock, self.connection() as connection:
                await connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    await connection.execute("ROLLBACK")
                    raise
                await connection.execute("COMMIT")
        else:
            async with self.connection() as connection, connection.transaction():
                yield connection

    @asynccontextmanager
    async def savepoint(self, name: str) -> AsyncIterator[None]:
        """A savepoint inside this task's open transaction: an error rolls back to it (and is
        raised), leaving the transaction usable; success releases it."""
        async with self.connection() as connection:
            await connection.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await connection.execute(f"ROLLBACK TO SAVEPOINT {name}")
                await connection.execute(f"RELEASE SAVEPOINT {name}")
                raise
            await connection.execute(f"RELEASE SAVEPOINT {name}")

    async def fetch_all_raw(self, sql: str, arguments: list[Any]) -> list[Any]:
        """PostgreSQL only: a statement as asyncpg takes it (``$n`` placeholders), unprocessed."""
        assert not self.is_sqlite
        async with self.connection() as connection:
            return list(await connection.raw_connection.fetch(sql, *arguments))

    async def copy_records(
        self, table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]
    ) -> None:
        """PostgreSQL only: rows by ``COPY … FROM STDIN`` (binary) on this task's connection, so in
        its transaction; no statement to parse and plan, however many rows."""
        assert not self.is_sqlite
        async with self.connection() as connection:
            await connection.raw_connection.copy_records_to_table(
                table, records=records, columns=list(columns)
            )

    async def fetch_one(self, query: Any) -> Any:
        async with self.connection() as connection:
            prepared = self._statements.prepare(query) if self._statements else None
            if prepared is None:
                return await connection.fetch_one(query)
            record = await connection.raw_connection.fetchrow(prepared[0], *prepared[1])
            return Row(record) if record is not None else None

    async def fetch_one_precompiled(self, query: PrecompiledSelect, **params: Any) -> Any:
        """The hot path: on PostgreSQL straight to asyncpg (which keeps it as a prepared statement);
        on SQLite the ordinary way. The row is a mapping either way."""
        if self.is_sqlite:
            return await self.fetch_one(query.statement.params(**params))
        async with self.connection() as connection:
            arguments = [params[name] for name in query.parameter_order]
            return await connection.raw_connection.fetchrow(query.postgresql, *arguments)

    async def fetch_all_precompiled(self, query: PrecompiledSelect, **params: Any) -> list[Any]:
        """As ``fetch_one_precompiled``, every row."""
        if self.is_sqlite:
            return await self.fetch_all(query.statement.params(**params))
        async with self.connection() as connection:
            arguments = [params[name] for name in query.parameter_order]
            return list(await connection.raw_connection.fetch(query.postgresql, *arguments))

    async def execute_precompiled(self, query: PrecompiledSelect, **params: Any) -> None:
        """As ``fetch_one_precompiled``, for a statement whose rows are not wanted."""
        if self.is_sqlite:
            await self.execute(query.statement.params(**params))
            return
        async with self.connection() as connection:
            arguments = [params[name] for name in query.parameter_order]
            await connection.raw_connection.execute(query.postgresql, *arguments)

    async def fetch_all(self, query: Any) -> list[Any]:
        async with self.connection() as connection:
            prepared = self._statements.prepare(query) if self._statements else None
            if prepared is None:
                return await connection.fetch_all(query)
            return [
                Row(record) for record in await connection.raw_connection.fetch(prepared[0], *prepared[1])
            ]

    async def execute(self, query: Any) -> Any:
        async with self.connection() as connection:
            prepared = self._statements.prepare(query) if self._statements else None
            if prepared is None:
                return await connection.execute(query)
            return await connection.raw_connection.fetchval(prepared[0], *prepared[1])

    async def is_ready(self) -> bool:
        try:
            await asyncio.wait_for(self.raw.fetch_val("SELECT 1"), self.settings.database_timeout)
        except Exception:  # readiness reports any failure as "not ready"
            return False
        return True
