"""Plain async factory functions for tests: register, log in, authorise."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

JSON_API = "application/vnd.api+json"
PASSWORD = "Correct-Horse-7"
_counter = itertools.count(1)


def document(
    resource_type: str, attributes: dict[str, Any], resource_id: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": resource_type, "attributes": attributes}
    if resource_id is not None:
        data["id"] = resource_id
    return {"data": data}


def registration(**overrides: Any) -> dict[str, Any]:
    """Registration attributes; ``name=...`` leaves one out. The locale is en_US so mail tests read
    English (without it the store's default, de_DE, would be chosen)."""
    attributes: dict[str, Any] = {
        "salutation": "Mr",
        "firstName": "John",
        "lastName": "Doe",
        "email": f"customer{next(_counter)}@example.com",
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
        "acceptedTerms": True,
        "locale": "en_US",
    }
    attributes.update(overrides)
    return {key: value for key, value in attributes.items() if value is not ...}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(client: httpx.AsyncClient, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return await client.post(
        path, json=body, headers={"Content-Type": JSON_API, **kwargs.pop("headers", {})}, **kwargs
    )


async def patch(client: httpx.AsyncClient, path: str, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Content-Type": JSON_API, **(bearer(token) if token else {})}
    return await client.patch(path, json=body, headers=headers)


async def register(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register a customer; returns the response's resource object plus the password used."""
    attributes = registration(**overrides)
    response = await post(client, "/customers", document("customers", attributes))
    assert response.status_code == 201, response.text
    resource: dict[str, Any] = response.json()["data"]
    resource["password"] = attributes["password"]
    return resource


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await post(
        client, "/access-tokens", document("access-tokens", {"username": email, "password": password})
    )
    assert response.status_code == 201, response.text
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    attributes["sessionId"] = response.json()["data"]["id"]
    return attributes


async def registered_customer(
    client: httpx.AsyncClient, **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A registered, logged-in customer: (customer resource, token attributes)."""
    customer = await register(client, **overrides)
    tokens = await login(client, customer["attributes"]["email"], customer["password"])
    return customer, tokens


def error(status: int, code: str, detail: str, pointer: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"status": str(status), "code": code, "detail": detail}
    if pointer:
        item["source"] = {"pointer": pointer}
    return item
