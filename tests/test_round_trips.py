"""Statements each hot request sends to the database, counted at the driver, on both backends.

A login is the limiter's check-and-count, the credential read, the limiter's reset and the new
session with its refresh token; an authenticated GET is one statement (session and customer
together). A change that adds a round trip to either shows here. The counts are what the drivers
report: asyncpg's query logger on PostgreSQL, sqlite3's trace callback on SQLite (where the session
insert is two statements in a BEGIN IMMEDIATE transaction, SQLite having no data-modifying CTE).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from errors.catalogue import AUTHENTICATION_FAILED
from tests.conftest import empty_tables
from tests.helpers import JSON_API, bearer, document, error, post, register

EXPECTED_LOGIN = {"postgresql": 4, "sqlite": 7}
EXPECTED_FAILED_LOGIN = {"postgresql": 2, "sqlite": 2}
EXPECTED_AUTHENTICATED_GET = {"postgresql": 1, "sqlite": 1}


@asynccontextmanager
async def counted_statements(app) -> AsyncIterator[list[str]]:
    """Every statement the app's database driver sends meanwhile (the pool holds one connection)."""
    db = app.state.services.db
    statements: list[str] = []
    if db.is_sqlite:
        # databases opens an aiosqlite connection per use: trace each one as it is opened.
        pool = db.raw._backend._pool
        acquire = pool.acquire

        async def traced_acquire():
            connection = await acquire()
            await connection.set_trace_callback(statements.append)
            return connection

        pool.acquire = traced_acquire
        try:
            yield statements
        finally:
            del pool.acquire
        return

    def log(record) -> None:
        statements.append(record.query)

    async with db.raw.connection() as connection:
        connection.raw_connection.add_query_logger(log)
    try:
        yield statements
        await asyncio.sleep(0)  # asyncpg calls its loggers on the next loop iteration
    finally:
        async with db.raw.connection() as connection:
            connection.raw_connection.remove_query_logger(log)


@pytest.fixture
async def single_connection_client(app_factory):
    # No background loop: its rounds (mail, jobs, sweeps) would share the one connection and the count.
    app = app_factory(database_pool_size=1, mail_worker_enabled=False)
    async with app.router.lifespan_context(app):
        await empty_tables(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


def _backend(app) -> str:
    return "sqlite" if app.state.services.db.is_sqlite else "postgresql"


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await post(
        client, "/access-tokens", document("access-tokens", {"username": email, "password": password})
    )


async def test_a_login_is_four_statements_on_postgresql_and_seven_on_sqlite(single_connection_client):
    app, client = single_connection_client
    customer = await register(client)
    email = customer["attributes"]["email"]
    assert (await _login(client, email, customer["password"])).status_code == 201  # warms the caches
    async with counted_statements(app) as statements:
        response = await _login(client, email, customer["password"])
    assert response.status_code == 201
    assert len(statements) == EXPECTED_LOGIN[_backend(app)], statements


async def test_a_failed_login_is_two_statements(single_connection_client):
    app, client = single_connection_client
    customer = await register(client)
    email = customer["attributes"]["email"]
    async with counted_statements(app) as statements:
        response = await _login(client, email, "Wrong-Password-1")
    assert response.json()["errors"] == [error(401, "003", AUTHENTICATION_FAILED.detail)]
    assert len(statements) == EXPECTED_FAILED_LOGIN[_backend(app)], statements


async def test_an_authenticated_get_is_one_statement(single_connection_client):
    app, client = single_connection_client
    customer = await register(client)
    tokens = (await _login(client, customer["attributes"]["email"], customer["password"])).json()
    token = tokens["data"]["attributes"]["accessToken"]
    path = f"/customers/{customer['id']}"
    headers = {**bearer(token), "Accept": JSON_API}
    assert (await client.get(path, headers=headers)).status_code == 200
    async with counted_statements(app) as statements:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["email"] == customer["attributes"]["email"]
    assert len(statements) == EXPECTED_AUTHENTICATED_GET[_backend(app)], statements


async def test_a_concurrent_burst_on_one_account_counts_exactly_the_limit(app_factory):
    """30 wrong logins at once on one account over 10 connections: exactly 5 are checked (401) and
    the rest refused (429). The check-and-count locks the account's window, so none slips past."""
    app = app_factory(database_pool_size=10)
    async with app.router.lifespan_context(app):
        await empty_tables(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            email = f"burst-{uuid.uuid4().hex[:8]}@example.com"
            responses = await asyncio.gather(*(_login(http, email, "Wrong-Password-1") for _ in range(30)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 25
