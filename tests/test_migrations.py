"""The migrations create exactly what app/tables.py describes."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.migrate import alembic_config, async_driver_url, upgrade
from app.settings import Settings
from app.tables import customers, metadata


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
