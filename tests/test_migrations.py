"""The migrations create exactly what app/tables.py describes, and move existing data up and down
unchanged (CB §2.4): single-store customers stay reachable, a store code no longer configured is
reported by ``python -m app.migrate`` with its count; the plain ``alembic`` command and
``glue-customers migrate`` move a database up and down on both backends."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from app.main import create_app
from app.migrate import alembic_config, async_driver_url, unconfigured_stores, upgrade
from app.passwords import PasswordHasherService
from app.settings import Settings
from app.tables import customers, metadata
from tests.helpers import bearer, document, login, post, registration
from tests.servers import FAST_ARGON2, PROJECT

# Derived, so that the tests hold as migrations are added.
_SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
HEAD = _SCRIPTS.get_current_head()
BELOW_HEAD = _SCRIPTS.get_revision(HEAD).down_revision
BEFORE_NORMALISED_EMAILS = _SCRIPTS.get_revision("0007").down_revision

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


# A statement to run outside the app: SQLAlchemy's, or SQL text with its parameters (passed to the
# driver as they are, as the old releases' data was written).
Statement = sa.Executable | tuple[str, Mapping[str, Any]]


def _execute(url: str, statements: Sequence[Statement]) -> list[list[sa.Row[Any]]]:
    """Run statements on ``url`` outside the app (as an operator would), at whatever revision the
    database is; the rows of each statement (none for one that returns none)."""

    async def run() -> list[list[sa.Row[Any]]]:
        engine = create_async_engine(async_driver_url(url))
        results = []
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    if isinstance(statement, tuple):
                        result = await connection.execute(sa.text(statement[0]), statement[1])
                    else:
                        result = await connection.execute(statement)
                    results.append(list(result.all()) if result.returns_rows else [])
        finally:
            await engine.dispose()
        return results

    return asyncio.run(run())


def _existing_tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_async_engine(async_driver_url(url))
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _seed_single_store_data(url: str, password_hash: str) -> None:
    # Only the tables of the revision the database is at: later migrations add some (login_windows).
    existing = _existing_tables(url)
    names = [table.name for table in reversed(metadata.sorted_tables) if table.name in existing]
    statements: list[Statement] = [(f"DELETE FROM {name}", {}) for name in names]  # noqa: S608
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
    _execute(url, statements)


def _snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the migration touches, as the database returns them."""
    customers, addresses, sequences = (
        [row._asdict() for row in rows]
        for rows in _execute(
            url,
            [
                ("SELECT * FROM customers ORDER BY id", {}),
                ("SELECT * FROM addresses ORDER BY id", {}),
                ("SELECT * FROM customer_reference_sequences ORDER BY store", {}),
            ],
        )
    )
    return {"customers": customers, "addresses": addresses, "sequences": sequences}


def _without(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in columns} for row in rows]


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
        _seed_single_store_data(database_url, password_hash)
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
        # Every column as it was; awaiting_confirmation became status (0010).
        kept = [
            {key: row[key] for key in before["customers"][0] if key != "awaiting_confirmation"}
            for row in after["customers"]
        ]
        assert kept == _without(before["customers"], "awaiting_confirmation")
        assert [(row["status"], row["agreement1"]) for row in after["customers"]] == [("active", True)] * 3
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
    command.downgrade(config, BEFORE_NORMALISED_EMAILS)
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


BEFORE_CUSTOMER_ATTRIBUTES = _SCRIPTS.get_revision("0010").down_revision


def test_customer_attributes_migration_derives_statuses_and_events_and_goes_back(database_url):
    """0010: awaiting confirmation → pending, anonymised → anonymized, else active, agreement1 true;
    the event kind ``anonymized`` → CustomerWasAnonymized with the customer as actor and its reference
    kept; down again, pending → awaiting_confirmation and the event type back as kind."""
    config = alembic_config(database_url)
    emptied = [table.delete() for table in reversed(metadata.sorted_tables)]
    _execute(database_url, emptied)
    command.downgrade(config, BEFORE_CUSTOMER_ATTRIBUTES)
    now = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    old_rows: list[Statement] = [
        (
            "INSERT INTO customers (id, store, reference, email, email_key, created_at, updated_at, "
            "awaiting_confirmation, anonymized_at) VALUES (:id, 'DE', :reference, :email, :email, :now, "
            ":now, :awaiting, :anonymized_at)",
            {
                "id": number,
                "reference": f"DE--{number}",
                "email": f"c{number}@example.com",
                "now": now,
                "awaiting": awaiting,
                "anonymized_at": now if anonymized else None,
            },
        )
        for number, awaiting, anonymized in ((1, False, False), (2, True, False), (3, False, True))
    ]
    old_rows.append(
        (
            "INSERT INTO customer_events (id, customer_id, kind, created_at) "
            "VALUES (7, 3, 'anonymized', :now)",
            {"now": now},
        )
    )
    try:
        _execute(database_url, old_rows)
        command.upgrade(config, "head")
        statuses, events = _execute(
            database_url,
            [
                (
                    "SELECT reference, status, agreement1, agreement2, phone, transactions_count "
                    "FROM customers ORDER BY id",
                    {},
                ),
                (
                    "SELECT id, customer_id, customer_reference, event_type, actor_type, actor_id, "
                    'changed_fields, "values", points_balance FROM customer_events ORDER BY id',
                    {},
                ),
            ],
        )
        assert [tuple(row) for row in statuses] == [
            ("DE--1", "active", True, False, None, 0),
            ("DE--2", "pending", True, False, None, 0),
            ("DE--3", "anonymized", True, False, None, 0),
        ]
        (event,) = events
        assert event._asdict() | {
            "changed_fields": _json(event.changed_fields),
            "values": _json(event.values),
        } == {
            "id": 7,
            "customer_id": 3,
            "customer_reference": "DE--3",
            "event_type": "CustomerWasAnonymized",
            "actor_type": "customer",
            "actor_id": "DE--3",
            "changed_fields": [],
            "values": {},
            "points_balance": None,
        }
        # Rows of the new shape: a phone and a card unique per store, a label, a typed event.
        _execute(
            database_url,
            [
                (
                    "UPDATE customers SET phone = '+4930123456', loyalty_card_number = 'AB-1', "
                    "loyalty_card_key = 'ab-1' WHERE id = 1",
                    {},
                ),
                (
                    "INSERT INTO customer_labels (customer_id, key, value, key_lower, value_lower) "
                    "VALUES (1, 'Tier', 'Gold', 'tier', 'gold')",
                    {},
                ),
                (
                    "INSERT INTO customer_events (customer_id, customer_reference, event_type, actor_type, "
                    "actor_id, changed_fields, \"values\", created_at) VALUES (1, 'DE--1', "
                    "'CustomerWasRegistered', 'customer', 'DE--1', '[\"email\"]', "
                    '\'{"channel": "storefront"}\', :now)',
                    {"now": now},
                ),
            ],
        )
        with pytest.raises(sa.exc.IntegrityError):
            _execute(database_url, [("UPDATE customers SET phone = '+4930123456' WHERE id = 2", {})])
        with pytest.raises(sa.exc.IntegrityError):
            _execute(database_url, [("UPDATE customers SET loyalty_card_key = 'ab-1' WHERE id = 2", {})])

        command.downgrade(config, BEFORE_CUSTOMER_ATTRIBUTES)
        down_customers, down_events = _execute(
            database_url,
            [
                (
                    "SELECT reference, awaiting_confirmation, anonymized_at IS NOT NULL "
                    "FROM customers ORDER BY id",
                    {},
                ),
                ("SELECT id, customer_id, kind FROM customer_events ORDER BY id", {}),
            ],
        )
        assert [(row[0], bool(row[1]), bool(row[2])) for row in down_customers] == [
            ("DE--1", False, False),
            ("DE--2", True, False),
            ("DE--3", False, True),
        ]
        # (PostgreSQL's id sequence did not see the explicit id 7, so the new event's number differs.)
        assert sorted((row[1], row[2]) for row in down_events) == [
            (1, "CustomerWasRegistered"),
            (3, "anonymized"),
        ]
        assert (7, 3, "anonymized") in [tuple(row) for row in down_events]
    finally:
        command.upgrade(config, "head")
        _execute(database_url, emptied)


def _json(value: Any) -> Any:
    """A JSON column as read outside the app: text on SQLite, decoded on PostgreSQL."""
    import json

    return json.loads(value) if isinstance(value, str) else value


BACKOFFICE_TABLES = {
    "operators",
    "operator_sessions",
    "operator_refresh_tokens",
    "operator_recovery_codes",
    "integration_clients",
    "audit_events",
}


def test_the_backoffice_migration_creates_its_tables_and_drops_them_on_the_way_down(scratch_database_url):
    url = scratch_database_url
    config = alembic_config(url)
    command.upgrade(config, "0009")
    assert _existing_tables(url) >= BACKOFFICE_TABLES
    _execute(
        url,
        [
            (
                "INSERT INTO operators (id, email, email_key, first_name, last_name, role, permissions,"
                " created_at, updated_at) VALUES ('op-1', 'ada@example.com', 'ada@example.com', 'Ada',"
                " 'L', 'admin', 'operators:write', :now, :now)",
                {"now": NOW},
            ),
            (
                "INSERT INTO audit_events (occurred_at, operator_id, action, outcome)"
                " VALUES (:now, 'cli', 'CLI create', 'succeeded')",
                {"now": NOW},
            ),
        ],
    )
    command.downgrade(config, "0008")
    assert not BACKOFFICE_TABLES & _existing_tables(url)
    assert "customers" in _existing_tables(url)
    command.upgrade(config, "head")
    rows = _execute(url, [sa.select(sa.func.count()).select_from(sa.table("operators"))])
    assert rows == [[(0,)]]


def _search_indexes(url: str) -> set[str]:
    rows = _execute(
        url,
        [
            sa.text(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%trgm' OR indexname LIKE '%_id_id'"
            )
        ],
    )
    return {row[0] for row in rows[0]}


def test_the_search_indexes_migration_is_postgresql_only_and_goes_back(scratch_database_url):
    url = scratch_database_url
    config = alembic_config(url)
    command.upgrade(config, "0015")
    if url.startswith("sqlite"):
        command.downgrade(config, "0013")  # nothing to drop: SQLite gets no search index
        return
    assert {
        "ix_customers_last_name_trgm",
        "ix_addresses_city_trgm",
        "ix_customers_pos_id_id",
    } <= _search_indexes(url)
    command.downgrade(config, "0013")
    assert _search_indexes(url) == set()
    assert _execute(url, [sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")]) == [[(0,)]]
    command.upgrade(config, "head")
