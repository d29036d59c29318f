"""Factories for back-office tests: operators seeded as the CLI seeds them, logged in over HTTP."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from app.models import AuditActor
from app.services.operators import ADMIN_PERMISSIONS, Writer
from tests.helpers import bearer, document, post

__all__ = [
    "OPERATOR_PASSWORD",
    "Operator",
    "seed_operator",
    "operator_login",
    "logged_in_operator",
    "seed_client",
    "client_token",
    "CLI_WRITER",
]

OPERATOR_PASSWORD = "Operator-Horse-Battery-7"
CLI_WRITER = Writer(actor=AuditActor("cli", "admin", "CLI create"), operator_id=None, stores=None)
_counter = itertools.count(1)


@dataclass
class Operator:
    id: str
    email: str
    token: str
    refresh_token: str
    session_id: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def seed_operator(
    app: Starlette,
    *,
    role: str = "admin",
    permissions: tuple[str, ...] = ADMIN_PERMISSIONS,
    stores: list[str] | None = None,
    pos_id: str | None = None,
    email: str | None = None,
) -> tuple[str, str]:
    """An operator created through the service (as the CLI does): (id, e-mail)."""
    email = email or f"operator{next(_counter)}@example.com"
    values: dict[str, Any] = {
        "email": email,
        "role": role,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "permissions": list(permissions),
        "stores": stores,
        "password": OPERATOR_PASSWORD,
        "confirm_password": OPERATOR_PASSWORD,
    }
    if role == "seller":
        values["pos_id"] = pos_id or "00000000-0000-4000-8000-000000000001"
    operator = await app.state.services.operators.create(values, CLI_WRITER)
    return operator.id, email


async def operator_login(
    client: httpx.AsyncClient, email: str, password: str = OPERATOR_PASSWORD
) -> httpx.Response:
    return await post(
        client,
        "/backoffice/access-tokens",
        document("access-tokens", {"username": email, "password": password}),
    )


async def logged_in_operator(app: Starlette, client: httpx.AsyncClient, **kwargs: Any) -> Operator:
    operator_id, email = await seed_operator(app, **kwargs)
    response = await operator_login(client, email)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return Operator(
        operator_id, email, data["attributes"]["accessToken"], data["attributes"]["refreshToken"], data["id"]
    )


async def seed_client(
    app: Starlette, permissions: tuple[str, ...] = ("customers:read",), stores: list[str] | None = None
) -> tuple[str, str]:
    """An integration client: (client_id, secret)."""
    client, secret = await app.state.services.integration_clients.create(
        {"name": "ERP", "permissions": list(permissions), "stores": stores}, CLI_WRITER
    )
    return client.id, secret


async def client_token(
    client: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return await client.post("/backoffice/token", data=form, auth=(client_id, secret))
