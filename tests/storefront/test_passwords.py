"""§5 passwords at the HTTP level: change, forgotten, restore. Mail is read from the .eml files."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.tables import mail_outbox, restore_password_keys
from tests.helpers import (
    JSON_API,
    PASSWORD,
    bearer,
    document,
    error,
    login,
    patch,
    post,
    registered_customer,
    registration,
)
from tests.mail_helpers import html_of, link_of, running_app, text_of, token_of, wait_for_files

NEW_PASSWORD = "Battery-Staple-42"
MISMATCH_NEW = "Value in field newPassword should be identical to value in the confirmPassword field."
MISMATCH_RESTORE = "Value in field password should be identical to value in the confirmPassword field."
RESTORE_KEY_INVALID = error(422, "415", "Restore password key is not valid.")


def change_document(current: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None) -> Any:
    return document(
        "customer-password",
        {"password": current, "newPassword": new, "confirmPassword": new if confirm is None else confirm},
    )


def restore_document(key: str, password: str = NEW_PASSWORD, confirm: str | None = None) -> Any:
    return document(
        "customer-restore-password",
        {
            "restorePasswordKey": key,
            "password": password,
            "confirmPassword": password if confirm is None else confirm,
        },
    )


async def forgot(client: httpx.AsyncClient, email: str, **attributes: Any) -> httpx.Response:
    return await post(
        client,
        "/customer-forgotten-password",
        document("customer-forgotten-password", {"email": email, **attributes}),
    )


async def login_status(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await post(
        client, "/access-tokens", document("access-tokens", {"username": email, "password": password})
    )
    return response.status_code


async def rows(app: Any, table: sa.Table) -> list[dict[str, Any]]:
    found = await app.state.services.db.fetch_all(sa.select(table).order_by(table.c.id))
    return [dict(row._mapping) for row in found]


class TestChangePassword:
    async def test_change_with_own_reference_is_204_and_the_new_password_logs_in(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, tokens = await registered_customer(client)
            response = await patch(
                client, f"/customer-password/{customer['id']}", change_document(), tokens["accessToken"]
            )
            assert response.status_code == 204
            assert response.content == b""
            email = customer["attributes"]["email"]
            assert await login_status(client, email, NEW_PASSWORD) == 201
            assert await login_status(client, email, PASSWORD) == 401

    async def test_change_without_reference_changes_the_callers_password(self, app_factory):
        async with running_app(app_factory) as (_, client):
            customer, tokens = await registered_customer(client)
            response = await patch(client, "/customer-password", change_document(), tokens["accessToken"])
            assert response.status_code == 204
            assert await login_status(client, customer["attributes"]["email"], NEW_PASSWORD) == 201

    async def test_other_sessions_are_revoked_and_the_callers_continues(self, app_factory):
        async with running_app(app_factory) as (_, client):
            customer, caller = await registered_customer(client)
            other = await login(client, customer["attributes"]["email"])
            response = await patch(client, "/customer-password", change_document(), caller["accessToken"])
            assert response.status_code == 204
            path = f"/customers/{customer['id']}"
            assert (await client.get(path, headers=bearer(caller["accessToken"]))).status_code == 200
            refused = await client.get(path, headers=bearer(other["accessToken"]))
            assert refused.status_code == 401
            assert refused.json()["errors"] == [error(401, "001", "Invalid access token.")]
            refresh = await post(
                client, "/refresh-tokens", document("refresh-tokens", {"refreshToken": other["refreshToken"]})
            )
            assert refresh.status_code == 401

    async def test_a_password_changed_notice_is_mailed(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, tokens = await registered_customer(client)
            await patch(client, "/customer-password", change_document(), tokens["accessToken"])
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            assert mail["To"] == customer["attributes"]["email"]
            assert mail["Subject"] == "Your password was changed"
            assert "Every other device has been signed out." in text_of(mail)

    async def test_foreign_reference_is_refused_with_411_before_the_body_is_read(self, app_factory):
        async with running_app(app_factory) as (_, client):
            _, tokens = await registered_customer(client)
            other, _ = await registered_customer(client)
            response = await client.patch(
                f"/customer-password/{other['id']}",
                content=b"not json",
                headers={"Content-Type": JSON_API, **bearer(tokens["accessToken"])},
            )
            assert response.status_code == 403
            assert response.json()["errors"] == [error(403, "411", "Unauthorized request.")]

    async def test_wrong_current_password_is_408(self, app_factory):
        async with running_app(app_factory) as (app, client):
            customer, tokens = await registered_customer(client)
            response = await patch(
                client, "/customer-password", change_document(current="Wrong-Horse-7"), tokens["accessToken"]
            )
            assert response.status_code == 400
            assert response.json()["errors"] == [error(400, "408", "Invalid password")]
            assert await login_status(client, customer["attributes"]["email"], PASSWORD) == 201
            assert await rows(app, mail_outbox) == []

    async def test_confirmation_mismatch_is_406(self, app_factory):
        async with running_app(app_factory) as (_, client):
            _, tokens = await registered_customer(client)
            response = await patch(
                client,
                "/customer-password",
                change_document(confirm="Battery-Staple-43"),
                tokens["accessToken"],
            )
            assert response.status_code == 422
            assert response.json()["errors"] == [error(422, "406", MISMATCH_NEW)]

    @pytest.mark.parametrize(
        ("new_password", "message"),
        [
            ("short", "This value is too short. It should have 8 characters or more."),
            ("password1", "This password is too common."),
            ("aaaaaaaaaa", "This value should not consist of one repeated character."),
        ],
    )
    async def test_policy_violation_is_901_on_new_password(self, app_factory, new_password, message):
        async with running_app(app_factory) as (_, client):
            _, tokens = await registered_customer(client)
            response = await patch(
                client, "/customer-password", change_document(new=new_password), tokens["accessToken"]
            )
            assert response.status_code == 422
            assert response.json()["errors"] == [
                error(422, "901", f"newPassword => {message}", "/data/attributes/newPassword")
            ]

    async def test_missing_attributes_are_901(self, app_factory):
        async with running_app(app_factory) as (_, client):
            _, tokens = await registered_customer(client)
            response = await patch(
                client, "/customer-password", document("customer-password", {}), tokens["accessToken"]
            )
            assert response.status_code == 422
            assert response.json()["errors"] == [
                error(422, "901", f"{name} => This field is missing.", f"/data/attributes/{name}")
                for name in ("confirmPassword", "newPassword", "password")
            ]

    async def test_a_blank_member_of_the_pair_is_901_never_406(self, app_factory):
        async with running_app(app_factory) as (_, client):
            _, tokens = await registered_customer(client)
            for new, confirm, blank in (
                (NEW_PASSWORD, " ", "confirmPassword"),
                ("", NEW_PASSWORD, "newPassword"),
            ):
                body = document(
                    "customer-password",
                    {"password": PASSWORD, "newPassword": new, "confirmPassword": confirm},
                )
                response = await patch(client, "/customer-password", body, tokens["accessToken"])
                assert response.status_code == 422
                assert response.json()["errors"] == [
                    error(
                        422, "901", f"{blank} => This value should not be blank.", f"/data/attributes/{blank}"
                    )
                ]

    async def test_without_token_is_002(self, client):
        response = await patch(client, "/customer-password", change_document())
        assert response.status_code == 403
        assert response.json()["errors"] == [error(403, "002", "Missing access token.")]


class TestForgottenPassword:
    async def test_known_email_gets_a_restore_link_and_only_a_digest_is_stored(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            customer, _ = await registered_customer(client)
            response = await forgot(client, customer["attributes"]["email"])
            assert response.status_code == 204
            assert response.content == b""
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            assert mail["To"] == customer["attributes"]["email"]
            assert mail["Subject"] == "Reset your password"
            link = link_of(mail)
            assert link.startswith("http://localhost:3000/password/restore?token=")
            assert f'href="{link}"' in html_of(mail)
            key = token_of(mail)
            assert len(key) >= 43  # 256 random bits, URL-safe base64
            (stored,) = await rows(app, restore_password_keys)
            assert key not in str(stored.values())
            lifetime = stored["expires_at"] - stored["created_at"]
            assert lifetime.total_seconds() == 7200

    async def test_unknown_email_is_204_and_nothing_is_written(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            response = await forgot(client, "nobody@example.com")
            assert response.status_code == 204
            assert await rows(app, restore_password_keys) == []
            assert await rows(app, mail_outbox) == []

    async def test_known_and_unknown_wait_for_the_same_floor(self, app_factory):
        async with running_app(app_factory, forgotten_password_min_seconds=0.15) as (_, client):
            customer, _ = await registered_customer(client)
            for email in (customer["attributes"]["email"], "nobody@example.com"):
                started = time.monotonic()
                assert (await forgot(client, email)).status_code == 204
                assert time.monotonic() - started >= 0.15

    async def test_allowed_confirmation_base_url_is_honoured(self, app_factory, settings):
        async with running_app(app_factory, allowed_link_origins=("https://shop.example",)) as (_, client):
            customer, _ = await registered_customer(client)
            base = "https://shop.example/account/reset?lang=de"
            response = await forgot(client, customer["attributes"]["email"], confirmationBaseUrl=base)
            assert response.status_code == 204
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            assert link_of(mail) == f"{base}&token={token_of(mail)}"

    @pytest.mark.parametrize(
        ("base", "message"),
        [
            ("https://evil.example/reset", "The value you selected is not a valid choice."),
            ("https://shop.example.evil.example/reset", "The value you selected is not a valid choice."),
            ("https://shop.example@evil.example/reset", "This value is not a valid URL."),
            ("http://shop.example/reset", "The value you selected is not a valid choice."),
            ("javascript:alert(1)", "This value is not a valid URL."),
            ("/relative/reset", "This value is not a valid URL."),
        ],
    )
    async def test_other_confirmation_base_urls_are_901_for_known_and_unknown_alike(
        self, app_factory, base, message
    ):
        async with running_app(app_factory, allowed_link_origins=("https://shop.example",)) as (app, client):
            customer, _ = await registered_customer(client)
            expected = [
                error(422, "901", f"confirmationBaseUrl => {message}", "/data/attributes/confirmationBaseUrl")
            ]
            for email in (customer["attributes"]["email"], "nobody@example.com"):
                response = await forgot(client, email, confirmationBaseUrl=base)
                assert response.status_code == 422
                assert response.json()["errors"] == expected
            assert await rows(app, restore_password_keys) == []

    async def test_invalid_email_is_901(self, app_factory):
        async with running_app(app_factory) as (_, client):
            response = await forgot(client, "not-an-email")
            assert response.status_code == 422
            assert response.json()["errors"] == [
                error(
                    422, "901", "email => This value is not a valid email address.", "/data/attributes/email"
                )
            ]

    async def test_requests_over_the_per_email_limit_answer_204_and_send_nothing(self, app_factory):
        async with running_app(app_factory) as (app, client):
            customer, _ = await registered_customer(client)
            statuses = [(await forgot(client, customer["attributes"]["email"])).status_code for _ in range(5)]
            assert statuses == [204] * 5
            assert len(await rows(app, mail_outbox)) == 3  # GLUE_FORGOTTEN_PASSWORD_LIMIT_PER_EMAIL

    async def test_requests_over_the_per_address_limit_answer_204_and_send_nothing(self, app_factory):
        async with running_app(app_factory, forgotten_password_limit_per_address=2) as (app, client):
            emails = [(await registered_customer(client))[0]["attributes"]["email"] for _ in range(3)]
            statuses = [(await forgot(client, email)).status_code for email in emails]
            assert statuses == [204] * 3
            assert [row["recipient"] for row in await rows(app, mail_outbox)] == emails[:2]

    async def test_unknown_emails_use_up_the_limit_like_known_ones(self, app_factory):
        """The limit counts requests, not customers: it cannot tell a caller which e-mails exist."""
        async with running_app(app_factory, forgotten_password_limit_per_address=2) as (app, client):
            customer, _ = await registered_customer(client)
            for email in ("nobody@example.com", "ghost@example.com", customer["attributes"]["email"]):
                assert (await forgot(client, email)).status_code == 204
            assert await rows(app, mail_outbox) == []

    async def test_the_mail_comes_in_the_language_of_the_customers_locale(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            german = await register_in(client, "de-DE,de;q=0.9")
            french = await register_in(client, "fr-FR, en;q=0.5")  # the store speaks en_US, not fr
            await forgot(client, german["attributes"]["email"])
            await forgot(client, french["attributes"]["email"])
            mails = {str(m["To"]): m for m in await wait_for_files(settings.mail_directory, 2)}
            de = mails[german["attributes"]["email"]]
            assert de["Subject"] == "Passwort zurücksetzen"
            assert "innerhalb von 2 Stunden" in text_of(de)
            assert '<html lang="de">' in html_of(de)
            assert mails[french["attributes"]["email"]]["Subject"] == "Reset your password"


async def register_in(client: httpx.AsyncClient, accept_language: str) -> dict[str, Any]:
    response = await post(
        client,
        "/customers",
        document("customers", registration(locale=...)),
        headers={"Accept-Language": accept_language},
    )
    assert response.status_code == 201, response.text
    resource: dict[str, Any] = response.json()["data"]
    return resource


class TestRestorePassword:
    async def test_forgotten_mail_restore_then_only_the_new_password_logs_in(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, tokens = await registered_customer(client)
            email = customer["attributes"]["email"]
            await forgot(client, email)
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            response = await patch(client, "/customer-restore-password", restore_document(token_of(mail)))
            assert response.status_code == 204
            assert response.content == b""
            assert await login_status(client, email, NEW_PASSWORD) == 201
            assert await login_status(client, email, PASSWORD) == 401
            # Every session ends, the one that asked included.
            path = f"/customers/{customer['id']}"
            assert (await client.get(path, headers=bearer(tokens["accessToken"]))).status_code == 401
            mails = await wait_for_files(settings.mail_directory, 2)
            assert [str(m["Subject"]) for m in mails].count("Your password was changed") == 1

    async def test_a_key_works_once(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, _ = await registered_customer(client)
            await forgot(client, customer["attributes"]["email"])
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            first = await patch(client, "/customer-restore-password", restore_document(token_of(mail)))
            assert first.status_code == 204
            again = await patch(
                client, "/customer-restore-password", restore_document(token_of(mail), "Another-Pass-99")
            )
            assert again.status_code == 422
            assert again.json()["errors"] == [RESTORE_KEY_INVALID]
            assert await login_status(client, customer["attributes"]["email"], NEW_PASSWORD) == 201

    async def test_the_path_id_is_ignored(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, _ = await registered_customer(client)
            await forgot(client, customer["attributes"]["email"])
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            response = await patch(
                client, "/customer-restore-password/anything", restore_document(token_of(mail))
            )
            assert response.status_code == 204

    async def test_unknown_key_is_415(self, app_factory):
        async with running_app(app_factory) as (app, client):
            response = await patch(client, "/customer-restore-password", restore_document("no-such-key"))
            assert response.status_code == 422
            assert response.json()["errors"] == [RESTORE_KEY_INVALID]
            assert await rows(app, mail_outbox) == []

    async def test_a_newer_key_supersedes_the_older(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, _ = await registered_customer(client)
            await forgot(client, customer["attributes"]["email"])
            (older,) = await wait_for_files(settings.mail_directory, 1)
            await forgot(client, customer["attributes"]["email"])
            mails = await wait_for_files(settings.mail_directory, 2)
            (newer,) = [mail for mail in mails if token_of(mail) != token_of(older)]
            stale = await patch(client, "/customer-restore-password", restore_document(token_of(older)))
            assert stale.status_code == 422
            assert stale.json()["errors"] == [RESTORE_KEY_INVALID]
            fresh = await patch(client, "/customer-restore-password", restore_document(token_of(newer)))
            assert fresh.status_code == 204

    async def test_a_key_is_valid_for_two_hours_and_then_415(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            emails = []
            for _ in range(2):
                customer, _ = await registered_customer(client)
                emails.append(customer["attributes"]["email"])
                await forgot(client, emails[-1])
            keys = {
                str(mail["To"]): token_of(mail) for mail in await wait_for_files(settings.mail_directory, 2)
            }
        # The same database, seen by apps whose clock runs ahead (the tables are not emptied again).
        for offset, email, status in ((7140, emails[0], 204), (7201, emails[1], 422)):
            later = app_factory(clock_offset_seconds=offset, mail_worker_enabled=False)
            async with later.router.lifespan_context(later):
                transport = httpx.ASGITransport(app=later)
                async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as shifted:
                    response = await patch(
                        shifted, "/customer-restore-password", restore_document(keys[email])
                    )
            assert response.status_code == status, response.text
            if status == 422:
                assert response.json()["errors"] == [RESTORE_KEY_INVALID]

    async def test_confirmation_mismatch_is_406_and_the_key_is_kept(self, app_factory, settings):
        async with running_app(app_factory) as (_, client):
            customer, _ = await registered_customer(client)
            await forgot(client, customer["attributes"]["email"])
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            response = await patch(
                client,
                "/customer-restore-password",
                restore_document(token_of(mail), confirm="Battery-Staple-43"),
            )
            assert response.status_code == 422
            assert response.json()["errors"] == [error(422, "406", MISMATCH_RESTORE)]
            retry = await patch(client, "/customer-restore-password", restore_document(token_of(mail)))
            assert retry.status_code == 204

    async def test_policy_violation_is_901_on_password(self, app_factory):
        async with running_app(app_factory) as (_, client):
            response = await patch(client, "/customer-restore-password", restore_document("any", "short"))
            assert response.status_code == 422
            assert response.json()["errors"] == [
                error(
                    422,
                    "901",
                    "password => This value is too short. It should have 8 characters or more.",
                    "/data/attributes/password",
                )
            ]

    async def test_a_blank_member_of_the_pair_is_901_never_406(self, app_factory):
        async with running_app(app_factory) as (_, client):
            for password, confirm, blank in (
                (NEW_PASSWORD, "", "confirmPassword"),
                (" ", NEW_PASSWORD, "password"),
            ):
                response = await patch(
                    client, "/customer-restore-password", restore_document("any", password, confirm)
                )
                assert response.status_code == 422
                assert response.json()["errors"] == [
                    error(
                        422, "901", f"{blank} => This value should not be blank.", f"/data/attributes/{blank}"
                    )
                ]

    async def test_missing_key_is_901(self, app_factory):
        async with running_app(app_factory) as (_, client):
            body = document(
                "customer-restore-password", {"password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD}
            )
            response = await patch(client, "/customer-restore-password", body)
            assert response.status_code == 422
            assert response.json()["errors"] == [
                error(
                    422,
                    "901",
                    "restorePasswordKey => This field is missing.",
                    "/data/attributes/restorePasswordKey",
                )
            ]

    async def test_wrong_type_is_409(self, app_factory):
        async with running_app(app_factory) as (_, client):
            body = document("customer-password", {"restorePasswordKey": "k"})
            response = await patch(client, "/customer-restore-password", body)
            assert response.status_code == 409
            assert response.json()["errors"] == [error(409, "014", "Invalid type.")]
