"""Activation by text (BO §4.2, GLUE_ACTIVATION_METHOD=sms): a pending registrant is texted a code,
read here from the delivered text (JSON files, or a real local webhook); the code and the phone
activate it once; resends never tell whether the username exists or is pending."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.queries.history import events_of_customer
from app.tables import customers
from tests.helpers import PASSWORD, document, error, patch, post, register, registered_customer, registration
from tests.mail_helpers import read_eml_files, running_app, token_of, wait_for_files
from tests.webhook_server import webhook_server

PHONE = "+4915112345678"
NATIONAL = "015112345678"
INVALID_CODE = error(422, "1015", "This activation code is invalid or has expired.")
CODE = re.compile(r"^(\d+) is your activation code\. It is valid for (\d+) minutes\.$")


def sms_settings(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "confirmation_required": True,
        "activation_method": "sms",
        "sms_directory": str(tmp_path / "sms"),
        **overrides,
    }


def texts(directory: Path) -> list[dict[str, Any]]:
    if not directory.exists():
        return []
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]


async def _settle(ready: Callable[[], bool], within: float = 10.0) -> None:
    """Until ``ready()`` holds (the delivery worker runs in the app), or ``within`` seconds."""
    deadline = time.monotonic() + within
    while not ready() and time.monotonic() < deadline:  # noqa: ASYNC110 - another thread delivers
        await asyncio.sleep(0.02)


async def wait_for_texts(directory: Path, count: int, within: float = 10.0) -> list[dict[str, Any]]:
    await _settle(lambda: len(texts(directory)) >= count, within)
    return texts(directory)


def code_of(text: dict[str, Any]) -> str:
    found = CODE.match(text["text"])
    assert found, text
    return found.group(1)


async def confirm(client: httpx.AsyncClient, phone: str, code: str) -> httpx.Response:
    return await post(
        client,
        "/customer-sms-confirmation",
        document("customer-sms-confirmation", {"phone": phone, "code": code}),
    )


async def resend(client: httpx.AsyncClient, username: str) -> httpx.Response:
    return await post(
        client,
        "/customer-confirmation-resend",
        document("customer-confirmation-resend", {"username": username}),
    )


async def login_status(client: httpx.AsyncClient, username: str) -> int:
    response = await post(
        client, "/access-tokens", document("access-tokens", {"username": username, "password": PASSWORD})
    )
    return response.status_code


async def status_of(app: Any, reference: str) -> str:
    row = await app.state.services.db.fetch_one(
        sa.select(customers.c.status).where(customers.c.reference == reference)
    )
    return str(row[0])


async def events(app: Any, reference: str) -> list[Any]:
    db = app.state.services.db
    row = await db.fetch_one(sa.select(customers.c.id).where(customers.c.reference == reference))
    return await events_of_customer(db, int(row[0]))


async def test_a_pending_registrant_is_texted_a_code_that_activates_it_once(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path)) as (app, client):
        customer = await register(client, phone=NATIONAL)
        reference = customer["id"]
        (text,) = await wait_for_texts(directory, 1)
        assert text["to"] == PHONE
        assert text["kind"] == "activation-code"
        assert CODE.match(text["text"]).group(2) == "30"
        assert read_eml_files(tmp_path / "mail") == []  # no registration key under sms
        assert await login_status(client, PHONE) == 401

        wrong = "0" * 6 if code_of(text) != "0" * 6 else "1" * 6
        refused = await confirm(client, PHONE, wrong)
        assert refused.status_code == 422
        assert refused.json()["errors"] == [INVALID_CODE]
        assert await status_of(app, reference) == "pending"

        response = await confirm(client, NATIONAL, code_of(text))
        assert response.status_code == 204
        assert response.content == b""
        assert await status_of(app, reference) == "active"
        assert await login_status(client, PHONE) == 201
        assert await login_status(client, NATIONAL) == 201
        assert await login_status(client, customer["attributes"]["email"]) == 201

        again = await confirm(client, PHONE, code_of(text))
        assert again.status_code == 422
        assert again.json()["errors"] == [INVALID_CODE]
        activated = [
            event for event in await events(app, reference) if event.event_type == "CustomerWasActivated"
        ]
        assert [(event.changed_fields, event.values) for event in activated] == [
            (["status"], {"status": "active", "method": "sms"})
        ]


async def test_registration_under_sms_requires_a_phone_and_keeps_it(app_factory, tmp_path):
    async with running_app(app_factory, **sms_settings(tmp_path, confirmation_required=False)) as (
        app,
        client,
    ):
        missing = await post(client, "/customers", document("customers", registration(phone=...)))
        assert missing.status_code == 422
        assert missing.json()["errors"] == [
            error(422, "901", "phone => This value should not be blank.", "/data/attributes/phone")
        ]
        assert (await app.state.services.db.fetch_one(sa.select(sa.func.count()).select_from(customers)))[
            0
        ] == 0

        customer, tokens = await registered_customer(client, phone=PHONE)
        assert customer["attributes"]["phone"] == PHONE
        erased = await patch(
            client,
            f"/customers/{customer['id']}",
            document("customers", {"phone": None}, customer["id"]),
            tokens["accessToken"],
        )
        assert erased.status_code == 422
        assert erased.json()["errors"] == [
            error(422, "901", "phone => This value should not be blank.", "/data/attributes/phone")
        ]
        assert await login_status(client, PHONE) == 201


@pytest.mark.parametrize("phone", ["+4930", "not a phone"])
async def test_a_confirmation_with_an_invalid_phone_is_901(app_factory, tmp_path, phone):
    async with running_app(app_factory, **sms_settings(tmp_path)) as (_, client):
        response = await confirm(client, phone, "123456")
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "phone => This value is not a valid phone number.", "/data/attributes/phone")
        ]


async def test_unknown_phones_and_active_customers_are_refused_alike(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path)) as (_, client):
        await register(client, phone=PHONE)
        (text,) = await wait_for_texts(directory, 1)
        unknown = await confirm(client, "+4915199999999", code_of(text))
        assert unknown.status_code == 422
        assert unknown.json()["errors"] == [INVALID_CODE]
        assert (await confirm(client, PHONE, code_of(text))).status_code == 204
        active = await confirm(client, PHONE, code_of(text))
        assert active.json()["errors"] == [INVALID_CODE]


async def test_too_many_tries_from_one_address_are_1017_with_retry_after(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path, code_attempt_limit_per_address=2)) as (
        app,
        client,
    ):
        customer = await register(client, phone=PHONE)
        (text,) = await wait_for_texts(directory, 1)
        for _ in range(2):
            assert (
                await confirm(client, PHONE, "999999" if code_of(text) != "999999" else "888888")
            ).status_code == 422
        limited = await confirm(client, PHONE, code_of(text))
        assert limited.status_code == 429
        assert limited.json()["errors"] == [
            error(429, "1017", "Too many attempts. Please wait 15 minutes before trying again.")
        ]
        assert 0 < int(limited.headers["Retry-After"]) <= 900
        assert await status_of(app, customer["id"]) == "pending"


async def test_a_resend_texts_a_new_code_and_the_old_one_dies(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path, sms_resend_interval=0)) as (app, client):
        customer = await register(client, phone=PHONE)
        (first,) = await wait_for_texts(directory, 1)
        response = await resend(client, NATIONAL)
        assert response.status_code == 204
        assert response.content == b""
        found = await wait_for_texts(directory, 2)
        assert len(found) == 2
        (second,) = [text for text in found if text != first]
        if code_of(first) != code_of(second):
            assert (await confirm(client, PHONE, code_of(first))).json()["errors"] == [INVALID_CODE]
        assert (await confirm(client, PHONE, code_of(second))).status_code == 204
        assert await status_of(app, customer["id"]) == "active"


async def test_a_resend_within_the_interval_sends_nothing_and_still_answers_204(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **sms_settings(tmp_path)) as (app, client):
        await register(client, phone=PHONE)
        await wait_for_texts(directory, 1)
        assert (await resend(client, PHONE)).status_code == 204
        await app.state.services.outbox.wait(0.2)
        assert len(texts(directory)) == 1


async def test_a_resend_tells_nothing_about_the_username(app_factory, tmp_path):
    """Unknown, active, pending, malformed: the same answer, and nothing sent but to the pending one."""
    directory = tmp_path / "sms"
    async with running_app(
        app_factory, **sms_settings(tmp_path, sms_resend_interval=0, forgotten_password_min_seconds=0.2)
    ) as (app, client):
        pending = await register(client, phone=PHONE)
        await wait_for_texts(directory, 1)
        active = await register(client, phone="+4915112345679")
        (await wait_for_texts(directory, 2))
        code = code_of(next(text for text in texts(directory) if text["to"] == "+4915112345679"))
        assert (await confirm(client, "+4915112345679", code)).status_code == 204
        before = len(texts(directory))
        answers = []
        for username in (
            "+4915100000000",
            "nobody@example.com",
            "+4915112345679",
            active["attributes"]["email"],
            "no phone at all",
            pending["attributes"]["email"],
        ):
            started = time.monotonic()
            response = await resend(client, username)
            answers.append((response.status_code, response.content, time.monotonic() - started >= 0.2))
        assert answers == [(204, b"", True)] * 6
        await wait_for_texts(directory, before + 1)
        await app.state.services.outbox.wait(0.2)
        recipients = [text["to"] for text in texts(directory)]
        assert len(recipients) == before + 1
        assert recipients.count(PHONE) == 2  # the registration's and the resend's


async def test_under_email_a_resend_mails_a_new_registration_key(app_factory, tmp_path, settings):
    async with running_app(app_factory, confirmation_required=True) as (app, client):
        customer = await register(client)
        await wait_for_files(settings.mail_directory, 1)
        assert (await resend(client, customer["attributes"]["email"].upper())).status_code == 204
        mails = await wait_for_files(settings.mail_directory, 2)
        assert len(mails) == 2
        response = await post(
            client,
            "/customer-confirmation",
            document("customer-confirmation", {"registrationKey": token_of(mails[-1])}),
        )
        assert response.status_code == 204
        assert await status_of(app, customer["id"]) == "active"
        # The activation spent the first key too.
        spent = await post(
            client,
            "/customer-confirmation",
            document("customer-confirmation", {"registrationKey": token_of(mails[0])}),
        )
        assert spent.status_code == 422


async def test_a_resend_without_username_is_901(app_factory, tmp_path):
    async with running_app(app_factory, **sms_settings(tmp_path)) as (_, client):
        response = await post(
            client, "/customer-confirmation-resend", document("customer-confirmation-resend", {})
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "username => This field is missing.", "/data/attributes/username")
        ]


async def test_end_to_end_through_the_webhook(app_factory, tmp_path):
    with webhook_server() as server:
        async with running_app(app_factory, **sms_settings(tmp_path, sms_webhook_url=server.url)) as (
            app,
            client,
        ):
            customer = await register(client, phone=PHONE, locale="de_DE")
            await _settle(lambda: bool(server.delivered))
            (received,) = server.delivered
            body = json.loads(received.body)
            assert body["to"] == PHONE
            found = re.match(r"^(\d{6}) ist Ihr Aktivierungscode\. Er ist 30 Minuten gültig\.$", body["text"])
            assert found, body
            assert (await confirm(client, PHONE, found.group(1))).status_code == 204
            assert await status_of(app, customer["id"]) == "active"
