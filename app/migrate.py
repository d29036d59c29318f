"""The Alembic migrations of the configured database: ``glue-customers migrate`` (also
``python -m app.migrate``). The plain ``alembic`` command works too, with ``alembic.ini``."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import Settings

__all__ = ["upgrade", "downgrade", "current", "history", "alembic_config", "async_driver_url"]

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


if __name__ == "__main__":
    from app.cli import run_command

    sys.exit(run_command("migrate", sys.argv[1:], prog="python -m app.migrate"))
