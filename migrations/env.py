"""Alembic environment: runs the migrations on the asyncio driver of the configured URL.

``glue-customers migrate`` passes the URL in the configuration; the plain ``alembic`` command
(``alembic.ini``) leaves it out, and the URL is the service's own, from GLUE_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.migrate import async_driver_url
from app.settings import Settings
from app.tables import POSTGRESQL_ONLY_INDEXES, metadata

config = context.config

if config.config_file_name is not None:  # the alembic command; the service configures its own logs
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or async_driver_url(
        Settings.from_environment().database_url
    )


def _compared(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate's comparison leaves out the search indexes, which only PostgreSQL has and only
    the migration describes (expressions and operator classes the metadata does not model)."""
    return not (type_ == "index" and reflected and name in POSTGRESQL_ONLY_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, include_object=_compared
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():  # ``alembic upgrade --sql``: the SQL printed, nothing run
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
