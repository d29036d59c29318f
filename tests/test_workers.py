"""Several uvicorn workers on one database (``make run WORKERS=4``): the workers that race to create
the signing key on first start agree on one key, and concurrent writes through every worker succeed —
on SQLite too, where the worker processes share one file and queue on its write lock."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import httpx
import pytest

from tests.helpers import JSON_API, PASSWORD, bearer, document, registration
from tests.servers import uvicorn_server

pytestmark = pytest.mark.slow

WORKERS = 4
CUSTOMERS = 40


async def _customer_with_address(http: httpx.AsyncClient) -> tuple[str, str]:
    attributes = registration()
    created = await http.post(
        "/customers", json=document("customers", attributes), headers={"Content-Type": JSON_API}
    )
    assert created.status_code == 201, created.text
    reference = created.json()["data"]["id"]
    login = document("access-tokens", {"username": attributes["email"], "password": PASSWORD})
    tokens = await http.post("/access-tokens", json=login, headers={"Content-Type": JSON_API})
    assert tokens.status_code == 201, tokens.text
    token = tokens.json()["data"]["attributes"]["accessToken"]
    address = {
        "salutation": "Mr",
        "firstName": "John",
        "lastName": "Doe",
        "address1": "Main Street 1",
        "zipCode": "10115",
        "city": "Berlin",
        "iso2Code": "DE",
    }
    added = await http.post(
        f"/customers/{reference}/addresses",
        json=document("addresses", address),
        headers={"Content-Type": JSON_API, **bearer(token)},
    )
    assert added.status_code == 201, added.text
    return reference, token


async def test_several_workers_share_one_key_and_one_database(database_url, tmp_path):
    key_path = tmp_path / "keys" / "jwt-private.pem"  # absent: the workers create it on first start
    with uvicorn_server(database_url, str(key_path), workers=WORKERS) as base:
        # No keep-alive: every request opens a new connection, so the kernel spreads them over the workers.
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
            customers = await asyncio.gather(*(_customer_with_address(http) for _ in range(CUSTOMERS)))
            keys = {(await http.get("/.well-known/jwks.json")).json()["keys"][0]["kid"] for _ in range(20)}
            # every token is valid on whichever worker answers
            for reference, token in customers:
                profile = await http.get(f"/customers/{reference}?include=addresses", headers=bearer(token))
                assert profile.status_code == 200, profile.text
                assert len(profile.json()["included"]) == 1

    assert len({reference for reference, _ in customers}) == CUSTOMERS
    assert len(keys) == 1
    # the signing key and the operators' MFA key beside it, each written once, no temporary left
    assert sorted(path.name for path in Path(key_path).parent.iterdir()) == [
        "jwt-private.pem",
        "operator-mfa.key",
    ]
    for path in Path(key_path).parent.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
