"""The migrations create exactly what app/tables.py describes, and move existing data up and down
unchanged (CB §2.4): single-store customers stay reachable, a store code no longer configured is
reported by ``python -m app.migrate`` with its count."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.main import create_app
from app.migrate import alembic_config, async_driver_url, unconfigured_stores, upgrade
from app.passwords import PasswordHasherService
from app.settings import Settings
from app.tables import metadata
from tests.helpers import bearer, document, login, post, registration
from tests.servers import FAST_ARGON2, PROJECT

BEFORE_STORES = "0005"
PASSWORD = "Correct-Horse-7"
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
# The single-store data as it was before stores were data: legacy locales, two default pointers.
CUSTOMERS = [
    {"id": 1, "store": "DE", "reference": "DE--1", "email": "erika@example.com", "locale": "de"},
    {"id": 2, "store": "DE", "reference": "DE--2", "email": "john@example.com", "locale": None},
    # A store that is not configured any more: kept, unreachable, reported.
    {"id": 3, "store": "AT", "reference": "AT--1", "email": "sissi@example.com", "locale": "de"},
]
ADDRESSES = [
    {"id": "00000000-0000-4000-8000-000000000001", "customer_id": 1, "city": "Berlin"},
    {"id": "00000000-0000-4000-8000-000000000002", "customer_id": 1, "city": "Bonn"},
]


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


async def _execute(url: str, statements: list[tuple[str, Any]]) -> list[list[dict[str, Any]]]:
    """Run SQL on the database at whatever revision it is; the rows of each statement that has any."""
    engine = create_async_engine(async_driver_url(url))
    results = []
    try:
        async with engine.begin() as connection:
            for statement, parameters in statements:
                result = await connection.execute(sa.text(statement), parameters)
                results.append([dict(row._mapping) for row in result] if result.returns_rows else [])
    finally:
        await engine.dispose()
    return results


async def _seed_single_store_data(url: str, password_hash: str) -> None:
    names = [table.name for table in reversed(metadata.sorted_tables)]
    statements: list[tuple[str, Any]] = [(f"DELETE FROM {name}", {}) for name in names]  # noqa: S608
    for customer in CUSTOMERS:
        statements.append(
            (
                "INSERT INTO customers (id, store, reference, email, email_key, password_hash, salutation, "
                "first_name, last_name, locale, created_at, updated_at, awaiting_confirmation, "
                "default_billing_address_id, default_shipping_address_id) VALUES (:id, :store, :reference, "
                ":email, :email, :hash, 'Ms', 'Erika', 'Muster', :locale, :now, :now, false, :billing, "
                ":shipping)",
                {
                    **customer,
                    "hash": password_hash,
                    "now": NOW,
                    "billing": ADDRESSES[0]["id"] if customer["id"] == 1 else None,
                    "shipping": ADDRESSES[1]["id"] if customer["id"] == 1 else None,
                },
            )
        )
    for address in ADDRESSES:
        statements.append(
            (
                "INSERT INTO addresses (id, customer_id, salutation, first_name, last_name, address1, "
                "zip_code, city, iso2_code, created_at, updated_at) VALUES (:id, :customer_id, 'Ms', "
                "'Erika', 'Muster', 'Hauptstr. 1', '10115', :city, 'DE', :now, :now)",
                {**address, "now": NOW},
            )
        )
    statements.append(
        ("INSERT INTO customer_reference_sequences (store, last_value) VALUES ('DE', 2), ('AT', 1)", {})
    )
    if not url.startswith("sqlite"):  # later registrations continue after the seeded ids
        statements.append(("SELECT setval(pg_get_serial_sequence('customers', 'id'), 3)", {}))
    await _execute(url, statements)


def _snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the migration touches, as the database returns them."""
    customers, addresses, sequences = asyncio.run(
        _execute(
            url,
            [
                ("SELECT * FROM customers ORDER BY id", {}),
                ("SELECT * FROM addresses ORDER BY id", {}),
                ("SELECT * FROM customer_reference_sequences ORDER BY store", {}),
            ],
        )
    )
    return {"customers": customers, "addresses": addresses, "sequences": sequences}


def _without(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key != column} for row in rows]


async def _serve_the_old_customer(settings: Settings) -> dict[str, Any]:
    """What a client that never sends ``Store`` sees of the migrated data."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            tokens = await login(client, "erika@example.com", PASSWORD)
            profile = await client.get(
                "/customers/DE--1?include=addresses", headers=bearer(tokens["accessToken"])
            )
            unreachable = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": "sissi@example.com", "password": PASSWORD}),
            )
            registered = await post(client, "/customers", document("customers", registration(locale=...)))
    return {
        "profile": profile.json(),
        "unreachable": unreachable.status_code,
        "registered": registered.json()["data"]["id"],
    }


def test_single_store_data_moves_up_and_down_unchanged_and_stays_reachable(database_url, key_path, tmp_path):
    settings = Settings(
        database_url=database_url,
        jwt_private_key_path=key_path,
        mail_directory=str(tmp_path / "mail"),
        mail_worker_enabled=False,
        **FAST_ARGON2,
    )
    config = alembic_config(database_url)
    command.downgrade(config, BEFORE_STORES)
    try:
        password_hash = asyncio.run(PasswordHasherService(settings).hash_password(PASSWORD))
        asyncio.run(_seed_single_store_data(database_url, password_hash))
        before = _snapshot(database_url)

        migrated = subprocess.run(
            [sys.executable, "-m", "app.migrate"],
            cwd=PROJECT,
            env={**os.environ, "GLUE_DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert migrated.stderr.strip().splitlines()[-1] == (
            "warning: store AT is not configured (GLUE_STORES): its 1 customer(s) are kept but cannot "
            "log in or be reached until it is"
        )
        after = _snapshot(database_url)
        assert _without(after["customers"], "default_contact_address_id") == before["customers"]
        assert [row["default_contact_address_id"] for row in after["customers"]] == [
            ADDRESSES[0]["id"],
            None,
            None,
        ]
        assert after["addresses"] == before["addresses"] and after["sequences"] == before["sequences"]

        seen = asyncio.run(_serve_the_old_customer(settings))
        attributes = seen["profile"]["data"]["attributes"]
        assert (seen["profile"]["data"]["id"], attributes["email"]) == ("DE--1", "erika@example.com")
        assert attributes["locale"] == "de_DE"  # the legacy bare language, resolved on read
        flags = {
            item["attributes"]["city"]: (
                item["attributes"]["isDefaultBilling"],
                item["attributes"]["isDefaultShipping"],
                item["attributes"]["isDefaultContact"],
            )
            for item in seen["profile"]["included"]
        }
        assert flags == {"Berlin": (True, False, True), "Bonn": (False, True, False)}
        assert seen["unreachable"] == 401
        assert seen["registered"] == "DE--3"  # the store's sequence goes on

        # With the store configured again, nothing is reported.
        configured = replace(
            settings,
            stores=tuple(
                replace(settings.store_catalogue.default, code=code, time_zone="Europe/Berlin")
                for code in ("DE", "AT")
            ),
        )
        assert unconfigured_stores(configured) == {}
        assert unconfigured_stores(settings) == {"AT": 1}

        command.downgrade(config, BEFORE_STORES)
        down = _snapshot(database_url)
        assert down["customers"][:3] == before["customers"]
        assert [row["reference"] for row in down["customers"]] == ["DE--1", "DE--2", "AT--1", "DE--3"]
        assert down["addresses"] == before["addresses"]
    finally:
        command.upgrade(config, "head")
