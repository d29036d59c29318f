"""The database handle: encode/databases over asyncpg (PostgreSQL) or aiosqlite (embedded SQLite).

Writes go through ``Database.transaction()``. SQLite allows one writer at a time and fails
instead of waiting when two transactions upgrade to write together, so on SQLite the process
serialises its write transactions; PostgreSQL runs them concurrently and relies on row locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import databases

from app.settings import Settings

__all__ = ["Database", "connection_errors"]


def _connection_errors() -> tuple[type[BaseException], ...]:
    import asyncpg
    import redis.exceptions

    return (
        OSError,
        asyncio.TimeoutError,
        asyncpg.exceptions.PostgresConnectionError,
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.InterfaceError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.TooManyConnectionsError,
        asyncpg.exceptions.AdminShutdownError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    )


connection_errors = _connection_errors()


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
                "min_size": 1,
                "max_size": settings.database_pool_size,
                "timeout": settings.database_timeout,
                "command_timeout": settings.database_timeout,
                "reset": _keep_session_state,
            }
        self.raw = databases.Database(url, **options)
        self._sqlite_write_lock = asyncio.Lock()

    async def connect(self) -> None:
        await self.raw.connect()
        if self.is_sqlite:
            await self.raw.execute("PRAGMA journal_mode=WAL")

    async def disconnect(self) -> None:
        await self.raw.disconnect()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[databases.core.Connection]:
        """One transaction on this task's connection; committed on success, rolled back on error."""
        if self.is_sqlite:
            async with self._sqlite_write_lock, self.raw.transaction():
                yield self.raw.connection()
        else:
            async with self.raw.transaction():
                yield self.raw.connection()

    async def fetch_one(self, query: Any) -> Any:
        return await self.raw.fetch_one(query)

    async def fetch_all(self, query: Any) -> list[Any]:
        return await self.raw.fetch_all(query)

    async def execute(self, query: Any) -> Any:
        return await self.raw.execute(query)

    async def is_ready(self) -> bool:
        try:
            await asyncio.wait_for(self.raw.fetch_val("SELECT 1"), self.settings.database_timeout)
        except Exception:  # readiness reports any failure as "not ready"
            return False
        return True
