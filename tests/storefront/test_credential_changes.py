"""Credential changes (BO §4.2, GLUE_CREDENTIAL_CHANGE_CONFIRMATION): a storefront PATCH of the
e-mail (or, under sms, the phone) waits for the mailed key or the texted code, read here from the
delivered mail or text; confirming applies it, ends the other sessions and notifies the old address."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import bearer, document, error, login, patch, post, register, registered_customer
from tests.mail_helpers import link_of, of_kind, running_app, token_of, wait_for_files
from tests.storefront.test_sms_activation import events, wait_for_texts

INVALID = error(422, "1016", "This confirmation code is invalid or has expired.")
ON = {"credential_change_confirmation": True}


async def change(client: httpx.AsyncClient, customer: dict[str, Any], token: str, **attributes: Any):
    return await patch(
        client, f"/customers/{customer['id']}", document("customers", attributes, customer["id"]), token
    )


async def confirm(client: httpx.AsyncClient, reference: str, token: str, code: str) -> httpx.Response:
    return await post(
        client,
        f"/customers/{reference}/credential-confirmation",
        document("credential-confirmation", {"code": code}),
        headers=bearer(token),
    )


async def test_an_email_change_waits_for_the_new_address_then_applies(app_factory, settings):
    async with running_app(app_factory, **ON) as (app, client):
        customer, tokens = await registered_customer(client)
        old = customer["attributes"]["email"]
        other_session = await login(client, old)
        response = await change(client, customer, tokens["accessToken"], email="New.Address@Example.com")
        assert response.status_code == 200
        attributes = response.json()["data"]["attributes"]
        assert (attributes["email"], attributes["pendingEmail"]) == (old, "New.Address@example.com")
        (mail,) = await wait_for_files(settings.mail_directory, 1)
        assert mail["To"] == "New.Address@example.com"
        assert mail["Subject"] == "Confirm your new e-mail address"
        assert link_of(mail).startswith("http://localhost:3000/account/confirm-email?token=")
        assert (await login(client, old))["accessToken"]

        done = await confirm(client, customer["id"], tokens["accessToken"], token_of(mail))
        assert done.status_code == 204
        assert done.content == b""
        shown = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert shown.status_code == 200
        assert shown.json()["data"]["attributes"]["email"] == "New.Address@example.com"
        assert shown.json()["data"]["attributes"]["pendingEmail"] is None
        revoked = await client.get(
            f"/customers/{customer['id']}", headers=bearer(other_session["accessToken"])
        )
        assert revoked.status_code == 401
        notices = of_kind(await wait_for_files(settings.mail_directory, 2), "was changed")
        assert [notice["To"] for notice in notices] == [old]
        kinds = [event.event_type for event in await events(app, customer["id"])]
        assert kinds[-2:] == ["CredentialChangeWasRequested", "CredentialChangeWasConfirmed"]

        again = await confirm(client, customer["id"], tokens["accessToken"], token_of(mail))
        assert again.status_code == 422
        assert again.json()["errors"] == [INVALID]


async def test_a_newer_request_supersedes_and_a_wrong_code_is_1016(app_factory, settings):
    async with running_app(app_factory, **ON) as (_, client):
        customer, tokens = await registered_customer(client)
        await change(client, customer, tokens["accessToken"], email="first@example.com")
        await change(client, customer, tokens["accessToken"], email="second@example.com")
        mails = await wait_for_files(settings.mail_directory, 2)
        (first,) = [mail for mail in mails if mail["To"] == "first@example.com"]
        (second,) = [mail for mail in mails if mail["To"] == "second@example.com"]
        wrong = await confirm(client, customer["id"], tokens["accessToken"], "not-the-key")
        assert (wrong.status_code, wrong.json()) == (422, {"errors": [INVALID]})
        superseded = await confirm(client, customer["id"], tokens["accessToken"], token_of(first))
        assert (superseded.status_code, superseded.json()) == (422, {"errors": [INVALID]})
        assert (
            await confirm(client, customer["id"], tokens["accessToken"], token_of(second))
        ).status_code == 204


async def test_uniqueness_is_checked_at_the_request_and_at_the_confirmation(app_factory, settings):
    async with running_app(app_factory, **ON) as (_, client):
        customer, tokens = await registered_customer(client)
        taken = await register(client)
        response = await change(client, customer, tokens["accessToken"], email=taken["attributes"]["email"])
        assert (response.status_code, response.json()) == (
            422,
            {"errors": [error(422, "400", "Customer with this email already exists.")]},
        )
        await change(client, customer, tokens["accessToken"], email="wanted@example.com")
        (mail,) = await wait_for_files(settings.mail_directory, 1)
        await register(client, email="wanted@example.com")
        late = await confirm(client, customer["id"], tokens["accessToken"], token_of(mail))
        assert (late.status_code, late.json()) == (
            422,
            {"errors": [error(422, "400", "Customer with this email already exists.")]},
        )


async def test_refusals_for_other_callers(app_factory):
    async with running_app(app_factory, **ON) as (_, client):
        customer, _ = await registered_customer(client)
        _, stranger = await registered_customer(client)
        foreign = await confirm(client, customer["id"], stranger["accessToken"], "x")
        assert (foreign.status_code, foreign.json()) == (
            403,
            {"errors": [error(403, "411", "Unauthorized request.")]},
        )
        anonymous = await post(
            client,
            f"/customers/{customer['id']}/credential-confirmation",
            document("credential-confirmation", {"code": "x"}),
        )
        assert (anonymous.status_code, anonymous.json()) == (
            403,
            {"errors": [error(403, "002", "Missing access token.")]},
        )


async def test_too_many_tries_are_1017(app_factory):
    async with running_app(app_factory, **ON, code_attempt_limit_per_address=1) as (_, client):
        customer, tokens = await registered_customer(client)
        assert (await confirm(client, customer["id"], tokens["accessToken"], "wrong")).status_code == 422
        limited = await confirm(client, customer["id"], tokens["accessToken"], "wrong")
        assert limited.status_code == 429
        assert limited.json()["errors"] == [
            error(429, "1017", "Too many attempts. Please wait 15 minutes before trying again.")
        ]
        assert int(limited.headers["Retry-After"]) > 0


async def test_under_sms_a_phone_change_waits_for_the_texted_code(app_factory, tmp_path):
    directory = tmp_path / "sms"
    async with running_app(app_factory, **ON, activation_method="sms", sms_directory=str(directory)) as (
        _,
        client,
    ):
        customer, tokens = await registered_customer(client, phone="+4915112345678")
        response = await change(client, customer, tokens["accessToken"], phone="+4915112345670")
        attributes = response.json()["data"]["attributes"]
        assert (attributes["phone"], attributes["pendingPhone"]) == ("+4915112345678", "+4915112345670")
        (text,) = await wait_for_texts(directory, 1)
        assert (text["to"], text["kind"]) == ("+4915112345670", "confirmation-code")
        code = text["text"].split(" ", 1)[0]
        assert (await confirm(client, customer["id"], tokens["accessToken"], code)).status_code == 204
        shown = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert shown.json()["data"]["attributes"]["phone"] == "+4915112345670"
        assert shown.json()["data"]["attributes"]["pendingPhone"] is None
