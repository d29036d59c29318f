"""The migrations create exactly what app/tables.py describes; the plain ``alembic`` command and
``glue-customers migrate`` move a database up and down on both backends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.migrate import alembic_config, upgrade
from app.settings import Settings
from app.tables import metadata
from tests.servers import PROJECT

# Derived, so that the tests hold as migrations are added.
_SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
HEAD = _SCRIPTS.get_current_head()
BELOW_HEAD = _SCRIPTS.get_revision(HEAD).down_revision


def test_migrated_schema_matches_the_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    upgrade(Settings(database_url=url))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []


@pytest.fixture
def scratch_database_url(database_url: str, tmp_path: Path) -> str:
    """An empty database of this backend to migrate up and down: a new file on SQLite; on PostgreSQL
    the database named after the test database plus ``_alembic``, created once and emptied here (the
    test database itself stays migrated for the other tests). It is not dropped afterwards: DROP
    DATABASE forces a checkpoint of the whole cluster, seconds on a busy machine."""
    if not database_url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") + "_alembic"
    scratch_url = urlunsplit(parts._replace(path=f"/{name}"))

    async def prepare() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        scratch = await asyncpg.connect(scratch_url)
        try:
            await scratch.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await scratch.close()

    asyncio.run(prepare())
    return scratch_url


def _command(arguments: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GLUE_DATABASE_URL": database_url}
    return subprocess.run(
        arguments, cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120
    )


def _alembic(*arguments: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return _command([str(Path(sys.executable).parent / "alembic"), *arguments], database_url)


def _glue_customers(*arguments: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return _command([str(Path(sys.executable).parent / "glue-customers"), *arguments], database_url)


def test_the_alembic_command_and_glue_customers_migrate_move_the_schema_up_and_down(scratch_database_url):
    url = scratch_database_url
    upgraded = _alembic("upgrade", "head", database_url=url)
    checked = _alembic("check", database_url=url)
    one_down = _glue_customers("migrate", "downgrade", BELOW_HEAD, database_url=url)
    behind = _alembic("check", database_url=url)
    history = _glue_customers("migrate", "history", database_url=url)
    to_base = _alembic("downgrade", "base", database_url=url)

    assert [r.returncode for r in (upgraded, checked, one_down, history, to_base)] == [0] * 5, [
        r.stderr for r in (upgraded, checked, one_down, history, to_base)
    ]
    assert "No new upgrade operations detected." in checked.stdout
    assert behind.returncode != 0 and "Target database is not up to date" in behind.stderr
    listed = [line.split(",")[0] for line in history.stdout.splitlines()]
    assert listed[:2] == [
        f"{BELOW_HEAD} -> {HEAD} (head)",
        f"{_SCRIPTS.get_revision(BELOW_HEAD).down_revision} -> {BELOW_HEAD} (current)",
    ]
    assert listed[-1] == "<base> -> 0001" and len(listed) == len(list(_SCRIPTS.walk_revisions()))
    assert "Running downgrade 0001 -> " in to_base.stderr
