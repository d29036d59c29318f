"""The login limiter (spec §2 code 4401): per account and per address, shared by every worker."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.helpers import document, error, post, register
from tests.servers import uvicorn_server

REDIS_URL = "redis://127.0.0.1:6379/0"
WINDOW_DETAIL = "Too many log in attempts from your address. Please wait 15 minutes before trying again."


@pytest.fixture(params=["database", "redis"])
async def limited_client(request, app_factory):
    """A client of an app whose limiter keeps its counts in the database or in Redis."""
    overrides = {}
    if request.param == "redis":
        overrides = {"redis_url": REDIS_URL, "redis_key_prefix": f"glue-test-{uuid.uuid4().hex}:"}
    app = app_factory(**overrides)
    async with app.router.lifespan_context(app):
        from tests.conftest import empty_tables

        await empty_tables(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _login(client, username: str, password: str, **headers):
    return await post(
        client,
        "/access-tokens",
        document("access-tokens", {"username": username, "password": password}),
        headers=headers,
    )


async def test_sixth_failed_login_on_an_account_is_429_even_with_the_right_password(limited_client):
    customer = await register(limited_client)
    email = customer["attributes"]["email"]
    for _ in range(5):
        assert (await _login(limited_client, email, "Wrong-Password-1")).status_code == 401
    for password in ("Wrong-Password-1", customer["password"]):
        response = await _login(limited_client, email, password)
        assert response.status_code == 429
        assert response.json()["errors"] == [error(429, "4401", WINDOW_DETAIL)]
        assert 890 <= int(response.headers["retry-after"]) <= 900


async def test_unknown_accounts_are_limited_alike(limited_client):
    for _ in range(5):
        assert (await _login(limited_client, "ghost@example.com", "Whatever-123")).status_code == 401
    assert (await _login(limited_client, "GHOST@example.com ", "Whatever-123")).status_code == 429


async def test_successful_login_resets_the_account_counter(limited_client):
    customer = await register(limited_client)
    email = customer["attributes"]["email"]
    for _ in range(4):
        await _login(limited_client, email, "Wrong-Password-1")
    assert (await _login(limited_client, email, customer["password"])).status_code == 201
    statuses = [(await _login(limited_client, email, "Wrong-Password-1")).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_address_limit_spans_accounts(app_factory):
    app = app_factory(login_limit_per_address=3)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            statuses = [
                (await _login(http, f"user{index}@example.com", "Wrong-Password-1")).status_code
                for index in range(4)
            ]
    assert statuses == [401, 401, 401, 429]


async def test_token_endpoint_is_limited_with_slow_down(limited_client):
    customer = await register(limited_client)
    form = {
        "grant_type": "password",
        "username": customer["attributes"]["email"],
        "password": "Wrong-Password-1",
    }
    for _ in range(5):
        assert (await limited_client.post("/token", data=form)).json()["error"] == "invalid_grant"
    response = await limited_client.post("/token", data=form)
    assert response.status_code == 429
    assert response.json() == {"error": "slow_down", "error_description": WINDOW_DETAIL}
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.slow
@pytest.mark.parametrize("store", ["database", "redis"])
def test_limit_holds_across_four_worker_processes(database_url, key_path, store):
    """100 wrong logins on one account, spread over 4 uvicorn workers on one PostgreSQL database."""
    if not database_url.startswith("postgres"):
        pytest.skip(
            "several worker processes share a PostgreSQL database (SQLite is the one-process default)"
        )
    settings = {"GLUE_LOGIN_LIMIT_PER_ADDRESS": "1000"}
    if store == "redis":
        settings.update(GLUE_REDIS_URL=REDIS_URL, GLUE_REDIS_KEY_PREFIX=f"glue-test-{uuid.uuid4().hex}:")
    email = f"target-{uuid.uuid4().hex[:8]}@example.com"
    body = document("access-tokens", {"username": email, "password": "Wrong-Password-1"})
    codes = []
    with uvicorn_server(database_url, key_path, workers=4, settings=settings) as base:
        for _ in range(100):
            # A new connection per request, so the kernel spreads them over the workers.
            with httpx.Client(base_url=base, headers={"Content-Type": "application/vnd.api+json"}) as http:
                codes.append(http.post("/access-tokens", json=body).json()["errors"][0]["code"])
    print(f"limiter across 4 workers ({store}): {codes.count('003')} x 003, {codes.count('4401')} x 4401")
    assert codes == ["003"] * 5 + ["4401"] * 95
