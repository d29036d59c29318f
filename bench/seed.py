"""Seed the benchmark database directly: customers, live sessions and their access tokens.

Registering 10,000 customers through the API would cost 10,000 argon2 hashes. Instead one real
hash from the service's own ``PasswordHasherService`` is shared by every seeded customer (they
all have the same password), rows are written with the service's own table definitions, and
access tokens are signed by the service's own ``TokenSigner`` for sessions stored in its
sessions table, so the service accepts them exactly as tokens from a login.

The customer file has one line per customer, ``id reference email access_token``, for the load
generator's scripts.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg

from app import migrate, tables
from app.clock import utc_now
from app.passwords import PasswordHasherService
from app.settings import Settings
from app.signing import TokenSigner

__all__ = ["PASSWORD", "ensure_database", "reset_schema", "seed"]

# Must match PASSWORD in lua/common.lua.
PASSWORD = "Bench-Passw0rd-Correct-Horse"


def _server_url(database_url: str, database: str) -> str:
    base, _, _ = database_url.rpartition("/")
    return f"{base}/{database}"


def database_name(database_url: str) -> str:
    return database_url.rpartition("/")[2].split("?", 1)[0]


async def ensure_database(database_url: str) -> bool:
    """Create the benchmark database when it is missing; True when it was created."""
    name = database_name(database_url)
    connection = await asyncpg.connect(_server_url(database_url, "postgres"))
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        await connection.execute(f"CREATE DATABASE {quoted}")
        return True
    finally:
        await connection.close()


async def _drop_everything(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


def reset_schema(settings: Settings) -> None:
    """An empty benchmark database at the current migration head."""
    asyncio.run(_drop_everything(settings.database_url))
    migrate.upgrade(settings)


async def _insert(settings: Settings, count: int, issuer: str) -> list[str]:
    hasher = PasswordHasherService(settings)
    password_hash = await hasher.hash_password(PASSWORD)
    signer = TokenSigner(settings)
    now = utc_now()
    session_expiry = now + timedelta(seconds=settings.refresh_token_ttl)
    store = settings.store_catalogue.default.code

    customer_rows = []
    session_rows = []
    lines = []
    for number in range(1, count + 1):
        reference = f"{store}--{number}"
        email = f"customer{number}@bench.example.com"
        session_id = str(uuid.uuid4())
        customer_rows.append(
            {
                "id": number,
                "store": store,
                "reference": reference,
                "email": email,
                "email_key": email,
                "password_hash": password_hash,
                "salutation": "Mr",
                "first_name": f"First{number}",
                "last_name": f"Last{number}",
                "gender": "Male",
                "date_of_birth": None,
                "locale": "de_DE",
                "created_at": now,
                "updated_at": now,
                "anonymized_at": None,
            }
        )
        session_rows.append(
            {
                "id": session_id,
                "customer_id": number,
                "created_at": now,
                "expires_at": session_expiry,
                "revoked_at": None,
            }
        )
        access_token, _ = signer.issue(
            reference, session_id, store, issuer=issuer, client_id=settings.oauth_default_client_id
        )
        lines.append(f"{number} {reference} {email} {access_token}\n")

    connection = await asyncpg.connect(settings.database_url)
    try:
        async with connection.transaction():
            for table, rows in ((tables.customers, customer_rows), (tables.sessions, session_rows)):
                # The columns the seed sets; the rest take their defaults (NULL or the server default).
                columns = list(rows[0])
                await connection.copy_records_to_table(
                    table.name,
                    records=[tuple(row[name] for name in columns) for row in rows],
                    columns=columns,
                )
            # Later registrations continue after the seeded ids and references.
            await connection.execute("SELECT setval(pg_get_serial_sequence('customers', 'id'), $1)", count)
            await connection.execute(
                "INSERT INTO customer_reference_sequences (store, last_value) VALUES ($1, $2)",
                store,
                count,
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return lines


def seed(settings: Settings, count: int, customer_file: Path, issuer: str) -> None:
    """Insert ``count`` customers with one live session each; write the customer file.

    ``issuer`` is the base URL the load scripts call: the tokens' ``iss`` (app.access.token_issuer).
    """
    lines = asyncio.run(_insert(settings, count, issuer))
    customer_file.parent.mkdir(parents=True, exist_ok=True)
    customer_file.write_text("".join(lines))
