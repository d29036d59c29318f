"""Builders of the access-request tests (CB §5): submissions, confirmation keys read from the mailed
links, companies and their symbols made through the back-office."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette

from tests.helpers import JSON_API, document, post, registration
from tests.mail_helpers import read_eml_files, token_of, wait_for_files

__all__ = [
    "submission",
    "submit",
    "confirm",
    "key_for",
    "pending_request",
    "create_company",
    "create_symbol",
    "request_row",
    "decide",
    "mails_to",
]

_counter = itertools.count(1)


def submission(**overrides: Any) -> dict[str, Any]:
    """Submission attributes: a registration's (English, so mails read English); ``name=...``
    leaves one out."""
    return registration(
        **{
            "salutation": "Ms",
            "firstName": "Grace",
            "lastName": "Hopper",
            "email": f"applicant{next(_counter)}@example.com",
            **overrides,
        }
    )


async def submit(client: httpx.AsyncClient, attributes: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return await post(client, "/access-requests", document("access-requests", attributes), **kwargs)


async def confirm(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await post(
        client,
        "/access-request-confirmation",
        document("access-request-confirmation", {"confirmationKey": key}),
    )


def mails_to(directory: str, recipient: str) -> list[Any]:
    return [mail for mail in read_eml_files(directory) if str(mail["To"]) == recipient]


async def key_for(directory: str, email: str, known: tuple[str, ...] = ()) -> str:
    """The key of a confirmation mail sent to ``email`` that is not one of ``known`` (the files'
    names do not tell the order of two mails of one second)."""
    for _ in range(10):
        tokens = [
            token_of(mail)
            for mail in mails_to(directory, email)
            if str(mail["Subject"]) == "Confirm your access request"
        ]
        fresh = [token for token in tokens if token not in known]
        if fresh:
            return fresh[0]
        await wait_for_files(directory, len(read_eml_files(directory)) + 1, within=0.5)
    raise AssertionError(f"no new confirmation mail to {email}")


async def pending_request(client: httpx.AsyncClient, directory: str, **overrides: Any) -> str:
    """Submit and confirm: the e-mail of a request that went past ``unconfirmed``."""
    attributes = submission(**overrides)
    response = await submit(client, attributes)
    assert response.status_code == 204, response.text
    confirmed = await confirm(client, await key_for(directory, attributes["email"]))
    assert confirmed.status_code == 204, confirmed.text
    email: str = attributes["email"]
    return email


async def create_company(client: httpx.AsyncClient, headers: dict[str, str], **attributes: Any) -> str:
    body = document("companies", {"store": "DE", "name": "ACME GmbH", **attributes})
    created = await post(client, "/backoffice/companies", body, headers=headers)
    assert created.status_code == 201, created.text
    company_id: str = created.json()["data"]["id"]
    return company_id


async def create_symbol(
    client: httpx.AsyncClient, headers: dict[str, str], company_id: str, **attributes: Any
) -> dict[str, Any]:
    body = document("invitation-symbols", {"kind": "request-code", "value": "ACME-2026", **attributes})
    created = await post(
        client, f"/backoffice/companies/{company_id}/invitation-symbols", body, headers=headers
    )
    assert created.status_code == 201, created.text
    symbol: dict[str, Any] = created.json()["data"]
    return symbol


async def request_row(app: Starlette, email: str) -> dict[str, Any]:
    """The newest request of ``email`` as stored."""
    row = await app.state.services.db.fetch_one(
        sa.text("SELECT * FROM access_requests WHERE email = :email ORDER BY created_at DESC").bindparams(
            email=email
        )
    )
    assert row is not None, email
    return dict(row._mapping)


async def decide(
    client: httpx.AsyncClient, path: str, request_id: str, headers: dict[str, str], **attributes: Any
) -> httpx.Response:
    return await client.patch(
        f"{path}/{request_id}",
        json=document("access-requests", attributes, request_id),
        headers={**headers, "Content-Type": JSON_API},
    )
