"""Double opt-in (§5): registration mails a key; until it comes back, login answers 003."""

from __future__ import annotations

import httpx

from tests.helpers import PASSWORD, document, error, post, register
from tests.mail_helpers import link_of, running_app, text_of, token_of, wait_for_files
from tests.storefront.test_passwords import forgot, login_status, restore_document

CODE_INVALID = error(422, "423", "This email confirmation code is invalid or has been already used.")


async def confirm(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await post(
        client, "/customer-confirmation", document("customer-confirmation", {"registrationKey": key})
    )


async def token_grant_status(client: httpx.AsyncClient, email: str) -> tuple[int, str]:
    response = await client.post(
        "/token", data={"grant_type": "password", "username": email, "password": PASSWORD}
    )
    return response.status_code, response.json().get("error", "")


async def test_registration_mails_a_key_and_login_waits_for_it(app_factory, settings):
    async with running_app(app_factory, confirmation_required=True) as (_, client):
        customer = await register(client)
        email = customer["attributes"]["email"]
        (mail,) = await wait_for_files(settings.mail_directory, 1)
        assert mail["To"] == email
        assert mail["Subject"] == "Confirm your e-mail address"
        assert link_of(mail).startswith("http://localhost:3000/register/confirm?token=")

        refused = await post(
            client, "/access-tokens", document("access-tokens", {"username": email, "password": PASSWORD})
        )
        assert refused.status_code == 401
        assert refused.json()["errors"] == [error(401, "003", "Failed to authenticate user.")]
        assert await token_grant_status(client, email) == (400, "invalid_grant")

        response = await confirm(client, token_of(mail))
        assert response.status_code == 204
        assert response.content == b""
        assert await login_status(client, email, PASSWORD) == 201
        assert (await token_grant_status(client, email))[0] == 200


async def test_a_key_confirms_once(app_factory, settings):
    async with running_app(app_factory, confirmation_required=True) as (_, client):
        await register(client)
        (mail,) = await wait_for_files(settings.mail_directory, 1)
        assert (await confirm(client, token_of(mail))).status_code == 204
        again = await confirm(client, token_of(mail))
        assert again.status_code == 422
        assert again.json()["errors"] == [CODE_INVALID]


async def test_an_unknown_key_is_423(app_factory):
    async with running_app(app_factory, confirmation_required=True) as (_, client):
        response = await confirm(client, "no-such-key")
        assert response.status_code == 422
        assert response.json()["errors"] == [CODE_INVALID]


async def test_a_missing_key_is_901(app_factory):
    async with running_app(app_factory) as (_, client):
        response = await post(client, "/customer-confirmation", document("customer-confirmation", {}))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "registrationKey => This field is missing.", "/data/attributes/registrationKey")
        ]


async def test_german_registration_gets_the_german_mail(app_factory, settings):
    async with running_app(app_factory, confirmation_required=True) as (_, client):
        from tests.helpers import registration

        response = await post(
            client,
            "/customers",
            document("customers", registration(locale=...)),
            headers={"Accept-Language": "de"},
        )
        assert response.status_code == 201
        (mail,) = await wait_for_files(settings.mail_directory, 1)
        assert mail["Subject"] == "Bestätigen Sie Ihre E-Mail-Adresse"
        assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in text_of(mail)


async def test_off_by_default_no_mail_and_login_at_once(app_factory, settings):
    async with running_app(app_factory) as (app, client):
        customer = await register(client)
        assert await login_status(client, customer["attributes"]["email"], PASSWORD) == 201
        assert await app.state.services.db.fetch_all("SELECT * FROM mail_outbox") == []


async def test_restoring_the_password_confirms_the_address(app_factory, settings):
    async with running_app(app_factory, confirmation_required=True) as (_, client):
        customer = await register(client)
        email = customer["attributes"]["email"]
        await wait_for_files(settings.mail_directory, 1)
        await forgot(client, email)
        mails = await wait_for_files(settings.mail_directory, 2)
        (restore,) = [mail for mail in mails if "password/restore" in link_of(mail)]
        assert (
            await client.patch(
                "/customer-restore-password",
                json=restore_document(token_of(restore)),
                headers={"Content-Type": "application/vnd.api+json"},
            )
        ).status_code == 204
        assert await login_status(client, email, "Battery-Staple-42") == 201
