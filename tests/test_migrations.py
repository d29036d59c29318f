"""The migrations create exactly what app/tables.py describes; the plain ``alembic`` command and
``glue-customers migrate`` move a database up and down on both backends."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from app.migrate import alembic_config, async_driver_url, upgrade
from app.settings import Settings
from app.tables import customers, metadata
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


def _execute(url: str, statements: list[Any]) -> list[Any]:
    """Run statements on ``url`` outside the app (as an operator would) and return their rows."""

    async def run() -> list[Any]:
        engine = create_async_engine(async_driver_url(url))
        try:
            async with engine.begin() as connection:
                results = [await connection.execute(statement) for statement in statements]
                return [result.all() if result.returns_rows else None for result in results]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _customer(number: int, email: str, key: str, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "store": "DE",
        "reference": f"DE--{number}",
        "email": email,
        "email_key": key,
        "created_at": now,
        "updated_at": now,
        **extra,
    }


def test_email_migration_normalises_and_reports_collisions_without_merging(database_url, caplog):
    nfd = unicodedata.normalize("NFD", "jdoe@exämple.com")
    rows = [
        _customer(9001, nfd, nfd),
        _customer(9002, "JDoe@EXÄMPLE.com", "jdoe@exämple.com"),
        _customer(9003, " Mixed@XN--EXMPLE-CUA.com ", "mixed@xn--exmple-cua.com"),
        _customer(9004, "a@localhost", "a@localhost"),
        _customer(
            9005, "gone@anonymized.invalid", "gone@anonymized.invalid", anonymized_at=datetime.now(UTC)
        ),
        _customer(9006, "plain@example.com", "plain@example.com"),
    ]
    config = alembic_config(database_url)
    emptied = [table.delete() for table in reversed(metadata.sorted_tables)]
    _execute(database_url, emptied)
    command.downgrade(config, "0005")
    try:
        _execute(database_url, [customers.insert().values(rows)])
        with caplog.at_level(logging.WARNING, logger="glue_customers.migrations"):
            command.upgrade(config, "head")
        (stored,) = _execute(
            database_url,
            [
                sa.select(customers.c.reference, customers.c.email, customers.c.email_key).order_by(
                    customers.c.id
                )
            ],
        )
    finally:
        command.upgrade(config, "head")
        _execute(database_url, emptied)
    assert [tuple(row) for row in stored] == [
        ("DE--9001", nfd, nfd),  # collides with DE--9002: both kept as they were
        ("DE--9002", "JDoe@EXÄMPLE.com", "jdoe@exämple.com"),
        ("DE--9003", "Mixed@exämple.com", "mixed@exämple.com"),
        ("DE--9004", "a@localhost", "a@localhost"),
        ("DE--9005", "gone@anonymized.invalid", "gone@anonymized.invalid"),
        ("DE--9006", "plain@example.com", "plain@example.com"),
    ]
    reported = [record.getMessage() for record in caplog.records]
    assert any("DE--9001" in line and "DE--9002" in line and "not merged" in line for line in reported)
    assert any("DE--9004" in line and "not a valid e-mail address" in line for line in reported)
    assert not any("DE--9003" in line or "DE--9006" in line for line in reported)


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
