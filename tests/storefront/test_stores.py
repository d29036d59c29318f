"""Stores at the HTTP level (CB §2): the ``Store`` header, identity per store, tokens bound to their
store, ``/stores``, and the customer's locale with the mails in its language."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from joserfc import jwt

from app.signing import load_or_create_private_key
from app.stores import Store
from app.tables import customers, mail_outbox
from tests.helpers import (
    JSON_API,
    PASSWORD,
    bearer,
    document,
    error,
    login,
    patch,
    post,
    register,
    registered_customer,
    registration,
)
from tests.mail_helpers import of_kind, running_app, text_of, token_of, wait_for_files

STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("AT", "de_AT", ("de_AT", "en_GB"), "EUR", "Europe/Vienna"),
    Store(
        "CH",
        "de_CH",
        ("de_CH", "fr_CH", "it_CH"),
        "CHF",
        "Europe/Zurich",
        restore_password_url="https://shop.example.ch/password/restore",
        confirmation_url="https://shop.example.ch/register/confirm",
    ),
)
STORE_NOT_VALID = error(400, "1100", "Store is not valid.")
NOT_FOR_THIS_STORE = error(401, "1101", "Access token is not valid for this store.")
INVALID_TOKEN = error(401, "001", "Invalid access token.")
NOT_A_CHOICE = error(
    422, "901", "locale => The value you selected is not a valid choice.", "/data/attributes/locale"
)


@dataclass
class Shop:
    """The app with three stores, a client per store (its ``Store`` header set) and the mail folder."""

    app: Any
    clients: dict[str, httpx.AsyncClient]
    mail_directory: str

    def __getitem__(self, code: str) -> httpx.AsyncClient:
        return self.clients[code]

    async def customer_row(self, reference: str) -> Any:
        return await self.app.state.services.db.fetch_one(
            sa.select(customers).where(customers.c.reference == reference)
        )

    async def mails(self) -> list[Any]:
        return await self.app.state.services.db.fetch_all(sa.select(mail_outbox).order_by(mail_outbox.c.id))


@pytest.fixture
async def shop(app_factory, settings) -> AsyncIterator[Shop]:
    async with running_app(app_factory, stores=STORES) as (app, client):
        transport = httpx.ASGITransport(app=app)
        async with AsyncExitStack() as stack:
            clients = {"default": client}
            for store in STORES:
                clients[store.code] = await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=transport, base_url="http://testserver", headers={"Store": store.code}
                    )
                )
            yield Shop(app, clients, settings.mail_directory)


def _jwt_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def claims_of(token: str) -> dict[str, Any]:
    return _jwt_part(token, 1)


def header_of(token: str) -> dict[str, Any]:
    return _jwt_part(token, 0)


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await post(client, "/refresh-tokens", document("refresh-tokens", {"refreshToken": refresh_token}))


async def forgot(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post(
        client, "/customer-forgotten-password", document("customer-forgotten-password", {"email": email})
    )


class TestStoreHeader:
    async def test_absent_means_the_first_store_and_any_letter_case_names_a_store(self, shop):
        assert (await register(shop["default"], locale=...))["id"] == "DE--1"
        for header in ("at", "At", "AT"):
            response = await post(
                shop["default"],
                "/customers",
                document("customers", registration(locale=...)),
                headers={"Store": header},
            )
            assert response.status_code == 201, response.text
        assert [
            row[0]
            for row in await shop.app.state.services.db.fetch_all(
                sa.select(customers.c.reference).order_by(customers.c.id)
            )
        ] == ["DE--1", "AT--1", "AT--2", "AT--3"]

    @pytest.mark.parametrize("header", ["", " ", "XX", "DE,AT", "D E", "ÄT"])
    async def test_empty_or_unknown_store_is_1100_and_writes_nothing(self, shop, header):
        response = await post(
            shop["default"],
            "/customers",
            document("customers", registration(locale=...)),
            headers={"Store": header.encode("latin-1")},
        )
        assert response.status_code == 400
        assert response.json() == {"errors": [STORE_NOT_VALID]}
        assert await shop.customer_row("DE--1") is None

    async def test_a_repeated_store_header_is_1100(self, shop):
        response = await shop["default"].get("/stores", headers=[("Store", "DE"), ("Store", "DE")])
        assert response.json() == {"errors": [STORE_NOT_VALID]}

    async def test_a_bad_store_is_answered_before_authentication(self, shop):
        customer, tokens = await registered_customer(shop["DE"], locale=...)
        path = f"/customers/{customer['id']}"
        for headers in ({}, bearer("not-a-token"), bearer(tokens["accessToken"])):
            for method in ("GET", "PATCH", "DELETE"):
                response = await shop["default"].request(
                    method, path, headers={**headers, "Store": "XX", "Content-Type": JSON_API}, json={}
                )
                assert response.status_code == 400, (method, headers)
                assert response.json() == {"errors": [STORE_NOT_VALID]}
        assert (await shop["DE"].get(path, headers=bearer(tokens["accessToken"]))).status_code == 200

    async def test_the_paths_without_a_customer_reference_check_the_store_before_the_token(self, shop):
        _, tokens = await registered_customer(shop["DE"], locale=...)
        for path in ("/customers//addresses", "/customers//addresses/some-id"):
            for headers in ({}, bearer(tokens["accessToken"])):
                response = await shop["default"].get(path, headers={**headers, "Store": "XX"})
                assert response.json() == {"errors": [STORE_NOT_VALID]}, (path, headers)
            response = await shop["AT"].get(path, headers=bearer(tokens["accessToken"]))
            assert response.json() == {"errors": [NOT_FOR_THIS_STORE]}, path

    async def test_media_type_comes_before_the_store(self, shop):
        response = await shop["default"].post(
            "/customers", content=b"{}", headers={"Content-Type": "text/plain", "Store": "XX"}
        )
        assert response.status_code == 415
        assert response.json() == {"errors": [error(415, "012", "Unsupported media type.")]}

    async def test_service_endpoints_and_well_known_documents_ignore_it(self, shop):
        for path in (
            "/health/live",
            "/health/ready",
            "/openapi.yaml",
            "/docs",
            "/metrics",
            "/.well-known/jwks.json",
            "/.well-known/oauth-authorization-server",
        ):
            response = await shop["default"].get(path, headers={"Store": "XX"})
            assert response.status_code == 200, path

    async def test_oauth_token_endpoint_refuses_a_bad_store_as_invalid_request(self, shop):
        for path, form in (
            ("/token", {"grant_type": "password", "username": "a@example.com", "password": "x"}),
            ("/token/revoke", {"token": "anything"}),
        ):
            response = await shop["default"].post(path, data=form, headers={"Store": "XX"})
            assert response.status_code == 400, path
            assert response.json() == {"error": "invalid_request", "error_description": "Store is not valid."}


class TestIdentityPerStore:
    async def test_one_email_registers_in_two_stores_logs_in_to_each_and_sees_only_its_own_profile(
        self, shop
    ):
        email = "paloma@example.com"
        german = await register(shop["DE"], email=email, firstName="Erika", locale=...)
        austrian = await register(
            shop["AT"],
            email=email,
            firstName="Sissi",
            password="Other-Horse-8",
            confirmPassword="Other-Horse-8",
            locale=...,
        )
        assert (german["id"], austrian["id"]) == ("DE--1", "AT--1")
        de_tokens = await login(shop["DE"], email)
        at_tokens = await login(shop["AT"], email, "Other-Horse-8")
        de_profile = await shop["DE"].get("/customers", headers=bearer(de_tokens["accessToken"]))
        at_profile = await shop["AT"].get("/customers", headers=bearer(at_tokens["accessToken"]))
        assert [(item["id"], item["attributes"]["firstName"]) for item in de_profile.json()["data"]] == [
            ("DE--1", "Erika")
        ]
        assert [(item["id"], item["attributes"]["firstName"]) for item in at_profile.json()["data"]] == [
            ("AT--1", "Sissi")
        ]
        # Each store checks its own account's password.
        wrong = await post(
            shop["AT"], "/access-tokens", document("access-tokens", {"username": email, "password": PASSWORD})
        )
        assert wrong.json() == {"errors": [error(401, "003", "Failed to authenticate user.")]}
        # The other store's customer is not the caller's, in the caller's own store too.
        foreign = await shop["AT"].get("/customers/DE--1", headers=bearer(at_tokens["accessToken"]))
        assert foreign.json() == {"errors": [error(404, "402", "Customer not found.")]}
        foreign_addresses = await shop["AT"].get(
            "/customers/DE--1/addresses", headers=bearer(at_tokens["accessToken"])
        )
        assert foreign_addresses.json() == {"errors": [error(403, "411", "Unauthorized request.")]}

    async def test_references_come_from_each_stores_sequence(self, shop):
        order = ["DE", "AT", "DE", "CH", "AT", "DE"]
        references = [(await register(shop[code], locale=...))["id"] for code in order]
        assert references == ["DE--1", "AT--1", "DE--2", "CH--1", "AT--2", "DE--3"]

    async def test_an_email_is_unique_within_a_store_only(self, shop):
        await register(shop["DE"], email="twice@example.com", locale=...)
        again = await post(
            shop["DE"],
            "/customers",
            document("customers", registration(email="TWICE@example.com", locale=...)),
        )
        assert again.json() == {"errors": [error(422, "400", "Customer with this email already exists.")]}
        assert (await register(shop["CH"], email="twice@example.com", locale=...))["id"] == "CH--1"

    async def test_changing_the_email_to_one_taken_in_another_store_is_allowed(self, shop):
        await register(shop["AT"], email="taken@example.com", locale=...)
        customer, tokens = await registered_customer(shop["DE"], locale=...)
        response = await patch(
            shop["DE"],
            f"/customers/{customer['id']}",
            document("customers", {"email": "taken@example.com"}),
            tokens["accessToken"],
        )
        assert (
            response.status_code == 200
            and response.json()["data"]["attributes"]["email"] == "taken@example.com"
        )

    async def test_login_looks_in_the_requests_store_only(self, shop):
        customer = await register(shop["DE"], locale=...)
        response = await post(
            shop["AT"],
            "/access-tokens",
            document("access-tokens", {"username": customer["attributes"]["email"], "password": PASSWORD}),
        )
        assert response.status_code == 401
        assert response.json() == {"errors": [error(401, "003", "Failed to authenticate user.")]}
        form = {"grant_type": "password", "username": customer["attributes"]["email"], "password": PASSWORD}
        assert (await shop["AT"].post("/token", data=form)).json()["error"] == "invalid_grant"
        assert (await shop["DE"].post("/token", data=form)).status_code == 200

    async def test_one_mailbox_in_other_spellings_is_one_account_of_the_store_only(self, shop):
        customer = await register(shop["CH"], email="Erika@EXÄMPLE.com", locale=...)
        assert customer["attributes"]["email"] == "Erika@exämple.com"
        taken = await post(
            shop["CH"],
            "/customers",
            document("customers", registration(email="erika@xn--exmple-cua.com", locale=...)),
        )
        assert taken.json() == {"errors": [error(422, "400", "Customer with this email already exists.")]}
        form = {"grant_type": "password", "username": "ERIKA@xn--exmple-cua.com", "password": PASSWORD}
        assert (await shop["CH"].post("/token", data=form)).status_code == 200
        assert (await shop["DE"].post("/token", data=form)).json()["error"] == "invalid_grant"
        assert (await register(shop["DE"], email="erika@xn--exmple-cua.com", locale=...))["id"] == "DE--1"

    async def test_forgotten_password_mails_the_account_of_the_requests_store_with_its_link(self, shop):
        email = "forgetful@example.com"
        await register(shop["CH"], email=email, locale="de_CH")
        assert (await forgot(shop["DE"], email)).status_code == 204
        assert await shop.mails() == []  # no DE account: nothing sent
        assert (await forgot(shop["CH"], email)).status_code == 204
        (mail,) = await wait_for_files(shop.mail_directory, 1)
        assert mail["To"] == email and mail["Subject"] == "Passwort zurücksetzen"
        assert "https://shop.example.ch/password/restore?token=" in text_of(mail)
        # A mailed key works in any store: it names its customer.
        restored = await patch(
            shop["DE"],
            "/customer-restore-password",
            document(
                "customer-restore-password",
                {
                    "restorePasswordKey": token_of(mail),
                    "password": "Battery-Staple-42",
                    "confirmPassword": "Battery-Staple-42",
                },
            ),
        )
        assert restored.status_code == 204
        await login(shop["CH"], email, "Battery-Staple-42")

    async def test_a_confirmation_key_works_in_any_store_and_links_to_the_stores_page(
        self, app_factory, settings
    ):
        async with running_app(app_factory, stores=STORES, confirmation_required=True) as (_, client):
            response = await post(
                client,
                "/customers",
                document("customers", registration(email="optin@example.com", locale="fr-ch")),
                headers={"Store": "CH"},
            )
            assert response.status_code == 201
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            assert mail["Subject"] == "Confirm your e-mail address"  # fr: no French texts, so English
            assert text_of(mail).count("https://shop.example.ch/register/confirm?token=") == 1
            confirmed = await post(
                client,
                "/customer-confirmation",
                document("customer-confirmation", {"registrationKey": token_of(mail)}),
                headers={"Store": "AT"},
            )
            assert confirmed.status_code == 204
            logged_in = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": "optin@example.com", "password": PASSWORD}),
                headers={"Store": "CH"},
            )
            assert logged_in.status_code == 201


class TestTokensPerStore:
    async def test_access_tokens_carry_their_store(self, shop):
        _, tokens = await registered_customer(shop["CH"], locale=...)
        assert claims_of(tokens["accessToken"])["store"] == "CH"
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refreshToken"]}
        answer = (await shop["CH"].post("/token", data=form)).json()
        assert claims_of(answer["access_token"])["store"] == "CH"

    async def test_the_store_claim_sits_beside_the_rfc_9068_claims(self, shop, settings):
        customer, tokens = await registered_customer(shop["AT"], locale=...)
        form = {"grant_type": "password", "username": customer["attributes"]["email"], "password": PASSWORD}
        answer = (await shop["AT"].post("/token", data={**form, "client_id": "shop-app"})).json()
        for token, client_id in (
            (tokens["accessToken"], settings.oauth_default_client_id),
            (answer["access_token"], "shop-app"),
        ):
            claims = claims_of(token)
            assert header_of(token)["typ"] == "at+jwt"
            assert (claims["iss"], claims["client_id"], claims["store"]) == (
                "http://testserver",
                client_id,
                "AT",
            )

    async def test_a_de_token_on_an_at_request_is_1101_with_www_authenticate_and_changes_nothing(self, shop):
        customer, tokens = await registered_customer(shop["DE"], locale=...)
        auth = {**bearer(tokens["accessToken"]), "Content-Type": JSON_API}
        reference = customer["id"]
        for method, path, body in (
            ("GET", "/customers", None),
            ("GET", f"/customers/{reference}", None),
            ("PATCH", f"/customers/{reference}", document("customers", {"firstName": "Changed"})),
            ("PATCH", f"/customers/{reference}", {"not": "a document"}),
            ("DELETE", f"/customers/{reference}", None),
            ("POST", f"/customers/{reference}/addresses", {"junk": 1}),
            ("PATCH", "/customer-password", {"junk": 1}),
            ("DELETE", "/refresh-tokens/mine", None),
        ):
            response = await shop["AT"].request(method, path, json=body, headers=auth)
            assert response.status_code == 401, (method, path)
            assert response.json() == {"errors": [NOT_FOR_THIS_STORE]}
            assert response.headers["www-authenticate"] == (
                'Bearer realm="glue-customers", error="invalid_token"'
            )
        profile = await shop["DE"].get(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
        assert profile.json()["data"]["attributes"]["firstName"] == "John"

    async def test_a_revoked_token_is_001_in_any_store(self, shop):
        _, tokens = await registered_customer(shop["DE"], locale=...)
        await shop["DE"].delete("/refresh-tokens/mine", headers=bearer(tokens["accessToken"]))
        for code in ("DE", "AT"):
            response = await shop[code].get("/customers", headers=bearer(tokens["accessToken"]))
            assert response.json() == {"errors": [INVALID_TOKEN]}

    async def test_a_de_refresh_token_in_at_is_004_and_stays_usable_in_de(self, shop):
        _, tokens = await registered_customer(shop["DE"], locale=...)
        refused = await refresh(shop["AT"], tokens["refreshToken"])
        assert refused.status_code == 401
        assert refused.json() == {"errors": [error(401, "004", "Failed to refresh token.")]}
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refreshToken"]}
        oauth = await shop["AT"].post("/token", data=form)
        assert oauth.status_code == 400 and oauth.json()["error"] == "invalid_grant"
        rotated = await refresh(shop["DE"], tokens["refreshToken"])
        assert rotated.status_code == 201
        new_token = rotated.json()["data"]["attributes"]["accessToken"]
        assert (await shop["DE"].get("/customers", headers=bearer(new_token))).status_code == 200

    async def test_a_spent_refresh_token_in_another_store_still_ends_its_session(self, shop):
        _, tokens = await registered_customer(shop["DE"], locale=...)
        rotated = (await refresh(shop["DE"], tokens["refreshToken"])).json()["data"]["attributes"]
        assert (await refresh(shop["AT"], tokens["refreshToken"])).status_code == 401
        response = await shop["DE"].get("/customers", headers=bearer(rotated["accessToken"]))
        assert response.json() == {"errors": [INVALID_TOKEN]}

    async def test_a_token_without_the_store_claim_is_checked_against_its_customers_store(
        self, shop, settings
    ):
        customer, tokens = await registered_customer(shop["AT"], locale=...)
        now = int(time.time())
        # As the release before stores issued it: RFC 9068, the request's base URL as the issuer.
        legacy = jwt.encode(
            {"alg": "RS256", "kid": shop.app.state.services.signer.key_id, "typ": "at+jwt"},
            {
                "iss": "http://testserver",
                "sub": customer["id"],
                "aud": settings.jwt_audience,
                "iat": now,
                "nbf": now,
                "exp": now + 600,
                "jti": secrets.token_urlsafe(16),
                "client_id": settings.oauth_default_client_id,
                "sid": tokens["sessionId"],
                "scope": "customer",
            },
            load_or_create_private_key(settings.jwt_private_key_path),
            algorithms=["RS256"],
        )
        assert "store" not in claims_of(legacy)
        assert (await shop["AT"].get("/customers", headers=bearer(legacy))).status_code == 200
        refused = await shop["DE"].get("/customers", headers=bearer(legacy))
        assert refused.json() == {"errors": [NOT_FOR_THIS_STORE]}


class TestStoresResource:
    async def test_the_list_holds_every_store_in_order(self, shop):
        response = await shop["default"].get("/stores")
        assert response.status_code == 200
        body = response.json()
        assert body["links"] == {"self": "http://testserver/stores"}
        assert [item["id"] for item in body["data"]] == ["DE", "AT", "CH"]
        assert body["data"][2] == {
            "type": "stores",
            "id": "CH",
            "attributes": {
                "defaultLocale": "de_CH",
                "locales": ["de_CH", "fr_CH", "it_CH"],
                "currencyIsoCode": "CHF",
                "timeZone": "Europe/Zurich",
            },
            "links": {"self": "http://testserver/stores/CH"},
        }

    async def test_one_store_by_its_code_in_any_letter_case(self, shop):
        response = await shop["CH"].get("/stores/at")
        assert response.status_code == 200
        assert response.json()["data"]["id"] == "AT"
        assert response.json()["data"]["attributes"]["timeZone"] == "Europe/Vienna"
        assert response.json()["links"] == {"self": "http://testserver/stores/AT"}

    async def test_an_unknown_store_is_404_code_007(self, shop):
        response = await shop["default"].get("/stores/XX")
        assert response.status_code == 404
        assert response.json() == {"errors": [error(404, "007", "Not found.")]}

    async def test_sparse_fieldsets_and_bad_queries(self, shop):
        sparse = await shop["default"].get("/stores/DE?fields[stores]=currencyIsoCode")
        assert sparse.json()["data"]["attributes"] == {"currencyIsoCode": "EUR"}
        for query in ("fields[stores]=code", "include=locales", "page[limit]=1"):
            response = await shop["default"].get(f"/stores?{query}")
            assert response.json() == {"errors": [error(400, "011", "Invalid query parameter.")]}, query
        # The query is judged before the path's store (CB §1).
        assert (await shop["default"].get("/stores/XX?sort=code")).status_code == 400

    async def test_the_implicit_store_is_listed_without_glue_stores(self, client):
        response = await client.get("/stores")
        assert [item["attributes"] for item in response.json()["data"]] == [
            {
                "defaultLocale": "de_DE",
                "locales": ["de_DE", "en_US"],
                "currencyIsoCode": "EUR",
                "timeZone": "UTC",
            }
        ]


class TestLocale:
    async def test_an_explicit_locale_is_taken_in_any_spelling_and_answered_canonical(self, shop):
        for spelling in ("fr-ch", "FR_CH", "fr_CH"):
            customer = await register(shop["CH"], locale=spelling)
            assert customer["attributes"]["locale"] == "fr_CH"
        stored = await shop.customer_row(customer["id"])
        assert stored["locale"] == "fr_CH"

    @pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr", "french", "xx_CH", "de_CHE"])
    async def test_a_locale_the_store_does_not_speak_is_901_and_writes_nothing(self, shop, locale):
        response = await post(
            shop["CH"],
            "/customers",
            document("customers", registration(email="l@example.com", locale=locale)),
        )
        assert response.status_code == 422
        assert response.json() == {"errors": [NOT_A_CHOICE]}
        assert await shop.customer_row("CH--1") is None
        assert (await register(shop["CH"], email="l@example.com", locale="it_CH"))["id"] == "CH--1"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (None, "This value should not be blank."),
            ("", "This value should not be blank."),
            (7, "This value should be of type string."),
        ],
    )
    async def test_a_locale_that_is_no_text_is_901(self, shop, value, message):
        response = await post(shop["CH"], "/customers", document("customers", registration(locale=value)))
        assert response.json() == {
            "errors": [error(422, "901", f"locale => {message}", "/data/attributes/locale")]
        }

    @pytest.mark.parametrize(
        ("accept_language", "negotiated"),
        [
            ("de-CH", "de_CH"),  # exact
            ("fr-CH;q=0.5, it-ch;q=0.9", "it_CH"),  # exact, by q-value
            ("fr", "fr_CH"),  # by language
            ("fr-FR, de-CH;q=0.8", "fr_CH"),  # the first range by language before a later exact one
            ("de-AT, en;q=0.9", "de_CH"),  # by language: the store's first de_…
            ("en-GB, es;q=0.5", "de_CH"),  # nothing the store speaks: its default
            ("it;q=0, fr;q=0.1", "fr_CH"),  # q=0 means "not this"
            ("*", "de_CH"),
            ("bogus;;q=x, ☃", "de_CH"),
            (None, "de_CH"),
        ],
    )
    async def test_absent_it_is_negotiated_from_accept_language(self, shop, accept_language, negotiated):
        headers = {"Accept-Language": accept_language.encode("utf-8")} if accept_language else {}
        response = await post(
            shop["CH"], "/customers", document("customers", registration(locale=...)), headers=headers
        )
        assert response.status_code == 201, response.text
        assert response.json()["data"]["attributes"]["locale"] == negotiated

    async def test_an_explicit_locale_wins_over_accept_language(self, shop):
        response = await post(
            shop["CH"],
            "/customers",
            document("customers", registration(locale="it-CH")),
            headers={"Accept-Language": "fr-CH"},
        )
        assert response.json()["data"]["attributes"]["locale"] == "it_CH"

    async def test_patch_changes_the_locale_within_the_store(self, shop):
        customer, tokens = await registered_customer(shop["CH"], locale="de_CH")
        path = f"/customers/{customer['id']}"
        changed = await patch(
            shop["CH"], path, document("customers", {"locale": "fr-ch"}), tokens["accessToken"]
        )
        assert changed.status_code == 200 and changed.json()["data"]["attributes"]["locale"] == "fr_CH"
        refused = await patch(
            shop["CH"],
            path,
            document("customers", {"locale": "en_GB", "firstName": "X"}),
            tokens["accessToken"],
        )
        assert refused.json() == {"errors": [NOT_A_CHOICE]}
        nulled = await patch(shop["CH"], path, document("customers", {"locale": None}), tokens["accessToken"])
        assert nulled.json() == {
            "errors": [
                error(422, "901", "locale => This value should not be blank.", "/data/attributes/locale")
            ]
        }
        profile = (await shop["CH"].get(path, headers=bearer(tokens["accessToken"]))).json()["data"]
        assert (profile["attributes"]["locale"], profile["attributes"]["firstName"]) == ("fr_CH", "John")

    @pytest.mark.parametrize(
        ("stored", "resolved"),
        [
            ("de", "de_CH"),
            ("fr", "fr_CH"),
            ("en", "de_CH"),
            (None, "de_CH"),
            ("it_IT", "it_CH"),
            ("fr_CH", "fr_CH"),
        ],
    )
    async def test_legacy_values_are_resolved_on_read_and_stored_resolved_at_the_next_write(
        self, shop, stored, resolved
    ):
        customer, tokens = await registered_customer(shop["CH"], locale="de_CH")
        db = shop.app.state.services.db
        await db.execute(
            customers.update().where(customers.c.reference == customer["id"]).values(locale=stored)
        )
        path = f"/customers/{customer['id']}"
        profile = await shop["CH"].get(path, headers=bearer(tokens["accessToken"]))
        assert profile.json()["data"]["attributes"]["locale"] == resolved
        assert (await shop.customer_row(customer["id"]))["locale"] == stored  # a read writes nothing
        await patch(shop["CH"], path, document("customers", {"lastName": "Muster"}), tokens["accessToken"])
        assert (await shop.customer_row(customer["id"]))["locale"] == resolved

    async def test_the_mail_arrives_in_the_language_of_the_locale(self, shop):
        await register(shop["DE"], email="english@example.com", locale="en_GB")
        await register(shop["DE"], email="deutsch@example.com", locale=...)
        await post(
            shop["CH"],
            "/customers",
            document("customers", registration(email="suisse@example.com", locale=...)),
            headers={"Accept-Language": "de-CH"},
        )
        for code, email in (
            ("DE", "english@example.com"),
            ("DE", "deutsch@example.com"),
            ("CH", "suisse@example.com"),
        ):
            assert (await forgot(shop[code], email)).status_code == 204
        mails = {str(mail["To"]): mail for mail in await wait_for_files(shop.mail_directory, 3)}
        assert mails["english@example.com"]["Subject"] == "Reset your password"
        assert mails["deutsch@example.com"]["Subject"] == "Passwort zurücksetzen"
        assert mails["suisse@example.com"]["Subject"] == "Passwort zurücksetzen"
        assert "innerhalb von 2 Stunden" in text_of(mails["suisse@example.com"])

    async def test_a_changed_locale_changes_the_language_of_the_next_mail(self, shop):
        customer, tokens = await registered_customer(shop["DE"], locale="de_DE")
        await patch(
            shop["DE"],
            f"/customers/{customer['id']}",
            document("customers", {"locale": "en-GB"}),
            tokens["accessToken"],
        )
        changed = await patch(
            shop["DE"],
            "/customer-password",
            document(
                "customer-password",
                {
                    "password": PASSWORD,
                    "newPassword": "Battery-Staple-42",
                    "confirmPassword": "Battery-Staple-42",
                },
            ),
            tokens["accessToken"],
        )
        assert changed.status_code == 204
        (notice,) = of_kind(await wait_for_files(shop.mail_directory, 1), "password")
        assert notice["Subject"] == "Your password was changed"
