"""The Alembic migrations of the configured database: ``glue-customers migrate`` (also
``python -m app.migrate``). The plain ``alembic`` command works too, with ``alembic.ini``.

An upgrade to the head then warns about store codes in the data that are not configured: their
customers stay in the database, untouched, but no request can reach them until the store is
configured again.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.database import Database
from app.queries.customers import customer_counts_by_store
from app.settings import Settings

__all__ = [
    "upgrade",
    "downgrade",
    "current",
    "history",
    "alembic_config",
    "async_driver_url",
    "unconfigured_stores",
    "warn_about_unconfigured_stores",
]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def async_driver_url(database_url: str) -> str:
    """The SQLAlchemy URL with the asyncio driver the migrations run on."""
    if database_url.startswith("sqlite"):
        return database_url.replace("sqlite://", "sqlite+aiosqlite://", 1)
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+asyncpg://" + database_url[len(prefix) :]
    return database_url


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_driver_url(database_url).replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    if settings.uses_sqlite:
        database_file = settings.database_url.split("///", 1)[-1]
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings.database_url), revision)


def current(settings: Settings) -> None:
    """Print the database's revision."""
    command.current(alembic_config(settings.database_url), verbose=True)


def history(settings: Settings) -> None:
    """Print every migration, newest first, marking the database's."""
    command.history(alembic_config(settings.database_url), indicate_current=True)


def unconfigured_stores(settings: Settings) -> dict[str, int]:
    """Store codes in the data that no configured store has, with their customer counts."""

    async def count() -> dict[str, int]:
        db = Database(settings)
        await db.connect()
        try:
            return await customer_counts_by_store(db)
        finally:
            await db.disconnect()

    configured = set(settings.store_catalogue.codes)
    return {code: customers for code, customers in asyncio.run(count()).items() if code not in configured}


def warn_about_unconfigured_stores(settings: Settings) -> None:
    """One line on stderr per store code in the data that is not configured."""
    for code, customers in unconfigured_stores(settings).items():
        print(
            f"warning: store {code} is not configured (GLUE_STORES): its {customers} customer(s) "
            "are kept but cannot log in or be reached until it is",
            file=sys.stderr,
        )


if __name__ == "__main__":
    from app.cli import run_command

    sys.exit(run_command("migrate", sys.argv[1:], prog="python -m app.migrate"))
