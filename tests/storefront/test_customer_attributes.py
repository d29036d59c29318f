"""BO §3's attributes on the storefront customer: phone, agreements, company, the read-only ones; the
statuses of §3.1 at login. Each refusal is checked whole, and that it wrote nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.stores import Store
from app.tables import customers
from tests.helpers import (
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
from tests.mail_helpers import running_app, token_of, wait_for_files

INVALID_PHONE = error(
    422, "901", "phone => This value is not a valid phone number.", "/data/attributes/phone"
)
PHONE_TAKEN = error(422, "1010", "Customer with this phone number already exists.")
AUTHENTICATION_FAILED = error(401, "003", "Failed to authenticate user.")
COMPANY = {"name": "Muster GmbH", "taxId": "DE123456789"}
STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("CH", "de_CH", ("de_CH", "fr_CH"), "CHF", "Europe/Zurich"),
)


async def _register(client: httpx.AsyncClient, **attributes: Any) -> httpx.Response:
    return await post(client, "/customers", document("customers", registration(**attributes)))


async def _stored(app: Any) -> list[dict[str, Any]]:
    rows = await app.state.services.db.fetch_all(sa.select(customers).order_by(customers.c.id))
    return [dict(row._mapping) for row in rows]


async def _profile(client: httpx.AsyncClient, reference: str, token: str) -> dict[str, Any]:
    response = await client.get(f"/customers/{reference}", headers=bearer(token))
    assert response.status_code == 200, response.text
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return attributes


class TestRegistration:
    async def test_new_attributes_are_stored_and_shown(self, client):
        customer = await register(
            client, phone="+49 30 1234567", agreement2=True, agreement3=False, company=COMPANY
        )
        attributes = customer["attributes"]
        shown = {name: attributes[name] for name in attributes if name not in ("createdAt", "updatedAt")}
        assert shown == {
            "salutation": "Mr",
            "firstName": "John",
            "lastName": "Doe",
            "email": attributes["email"],
            "gender": None,
            "dateOfBirth": None,
            "locale": "en_US",
            "phone": "+49301234567",
            "loyaltyCardNumber": None,
            "agreement1": True,
            "agreement2": True,
            "agreement3": False,
            "company": COMPANY,
            "hasAvatar": False,
            "pendingEmail": None,
            "pendingPhone": None,
        }

    async def test_old_clients_get_the_defaults(self, client):
        attributes = (await register(client))["attributes"]
        assert (attributes["phone"], attributes["company"]) == (None, None)
        assert (attributes["agreement1"], attributes["agreement2"], attributes["agreement3"]) == (
            True,
            False,
            False,
        )

    async def test_a_national_number_is_read_in_the_default_region(self, app_factory):
        async with running_app(app_factory) as (_, client):
            assert (await register(client, phone="030 1234567"))["attributes"]["phone"] == "+49301234567"
        async with running_app(app_factory, phone_default_region="ch") as (_, client):
            assert (await register(client, phone="044 668 18 00"))["attributes"]["phone"] == "+41446681800"
            assert (await register(client, phone="+49 30 7654321"))["attributes"]["phone"] == "+49307654321"

    @pytest.mark.parametrize("phone", ["12", "abc", "+", "", " ", "+49 30 1234567" + " " * 19, "+999 123456"])
    async def test_an_invalid_phone_is_901_and_writes_nothing(self, client, app, phone):
        response = await _register(client, phone=phone, email="once@example.com")
        assert response.status_code == 422
        assert response.json()["errors"] == [INVALID_PHONE]
        assert await _stored(app) == []

    @pytest.mark.parametrize(
        ("attributes", "expected"),
        [
            (
                {"phone": "030\x001234567"},
                error(
                    422,
                    "901",
                    "phone => This value should not contain the NUL character.",
                    "/data/attributes/phone",
                ),
            ),
            (
                {"phone": 4930123},
                error(422, "901", "phone => This value should be of type string.", "/data/attributes/phone"),
            ),
            (
                {"agreement2": "yes"},
                error(
                    422,
                    "901",
                    "agreement2 => This value should be of type bool.",
                    "/data/attributes/agreement2",
                ),
            ),
            (
                {"agreement3": 1},
                error(
                    422,
                    "901",
                    "agreement3 => This value should be of type bool.",
                    "/data/attributes/agreement3",
                ),
            ),
            (
                {"company": {"name": "Muster GmbH"}},
                error(
                    422, "901", "company.taxId => This field is missing.", "/data/attributes/company/taxId"
                ),
            ),
            (
                {"company": {"taxId": "DE1"}},
                error(422, "901", "company.name => This field is missing.", "/data/attributes/company/name"),
            ),
            (
                {"company": {"name": " ", "taxId": "x" * 65}},
                [
                    error(
                        422,
                        "901",
                        "company.name => This value should not be blank.",
                        "/data/attributes/company/name",
                    ),
                    error(
                        422,
                        "901",
                        "company.taxId => This value is too long. It should have 64 characters or less.",
                        "/data/attributes/company/taxId",
                    ),
                ],
            ),
            (
                {"company": "Muster GmbH"},
                error(
                    422, "901", "company => This value should be of type object.", "/data/attributes/company"
                ),
            ),
            (
                {"company": {"name": 7, "taxId": None}},
                [
                    error(
                        422,
                        "901",
                        "company.name => This value should be of type string.",
                        "/data/attributes/company/name",
                    ),
                    error(
                        422,
                        "901",
                        "company.taxId => This value should not be blank.",
                        "/data/attributes/company/taxId",
                    ),
                ],
            ),
        ],
    )
    async def test_malformed_attributes_are_901_at_their_pointer_and_write_nothing(
        self, client, app, attributes, expected
    ):
        response = await _register(client, **attributes)
        assert response.status_code == 422
        assert response.json()["errors"] == (expected if isinstance(expected, list) else [expected])
        assert await _stored(app) == []

    async def test_a_phone_taken_in_the_store_is_1010_in_any_spelling(self, client, app):
        await register(client, phone="+49 30 1234567")
        response = await _register(client, phone="030/123 4567", email="second@example.com")
        assert response.status_code == 422
        assert response.json()["errors"] == [PHONE_TAKEN]
        assert [row["email"] for row in await _stored(app)] != ["second@example.com"]
        assert len(await _stored(app)) == 1

    async def test_two_stores_may_share_a_phone(self, app_factory):
        async with running_app(app_factory, stores=STORES) as (_, client):
            german = await register(client, phone="+41 44 668 18 00", locale="en_GB")
            swiss = await post(
                client,
                "/customers",
                document("customers", registration(phone="+41446681800", locale="de_CH")),
                headers={"Store": "CH"},
            )
            assert swiss.status_code == 201, swiss.text
            assert (german["id"], swiss.json()["data"]["id"]) == ("DE--1", "CH--1")
            assert swiss.json()["data"]["attributes"]["phone"] == german["attributes"]["phone"]

    async def test_concurrent_registrations_with_one_phone_one_wins(self, client, app):
        responses = await asyncio.gather(
            *(
                _register(client, phone="+49 30 5550000", email=f"racer{number}@example.com")
                for number in range(4)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201, 422, 422, 422]
        for response in responses:
            if response.status_code == 422:
                assert response.json()["errors"] == [PHONE_TAKEN]
        assert [row["phone"] for row in await _stored(app)] == ["+49305550000"]


class TestUpdate:
    async def test_phone_agreements_and_company_are_written_and_null_erases_them(self, client):
        customer, tokens = await registered_customer(client)
        reference, token = customer["id"], tokens["accessToken"]
        body = {"phone": "0151 23456789", "agreement2": True, "agreement3": True, "company": COMPANY}
        response = await patch(
            client, f"/customers/{reference}", document("customers", body, reference), token
        )
        assert response.status_code == 200, response.text
        attributes = response.json()["data"]["attributes"]
        assert (
            attributes["phone"],
            attributes["agreement2"],
            attributes["agreement3"],
            attributes["company"],
        ) == (
            "+4915123456789",
            True,
            True,
            COMPANY,
        )
        erased = {"phone": None, "agreement2": None, "company": None}
        response = await patch(
            client, f"/customers/{reference}", document("customers", erased, reference), token
        )
        attributes = response.json()["data"]["attributes"]
        assert (
            attributes["phone"],
            attributes["agreement2"],
            attributes["agreement3"],
            attributes["company"],
        ) == (
            None,
            False,
            True,
            None,
        )
        assert await _profile(client, reference, token) == attributes

    async def test_read_only_attributes_are_ignored(self, client, app):
        customer, tokens = await registered_customer(client)
        reference = customer["id"]
        body = {
            "loyaltyCardNumber": "CARD-1",
            "agreement1": False,
            "hasAvatar": True,
            "pendingEmail": "new@example.com",
            "pendingPhone": "+49301234567",
        }
        response = await patch(
            client, f"/customers/{reference}", document("customers", body, reference), tokens["accessToken"]
        )
        assert response.status_code == 200
        attributes = response.json()["data"]["attributes"]
        assert {name: attributes[name] for name in body} == {
            "loyaltyCardNumber": None,
            "agreement1": True,
            "hasAvatar": False,
            "pendingEmail": None,
            "pendingPhone": None,
        }
        (row,) = await _stored(app)
        assert (row["loyalty_card_number"], row["agreement1"], row["has_avatar"]) == (None, True, False)

    async def test_refusals_write_nothing(self, client):
        await register(client, phone="+49 30 1234567")
        customer, tokens = await registered_customer(client, phone="+49 30 7654321", company=COMPANY)
        reference, token = customer["id"], tokens["accessToken"]
        before = await _profile(client, reference, token)
        for body, expected in (
            ({"phone": "030 1234567", "firstName": "Changed"}, PHONE_TAKEN),
            ({"phone": "not a number", "firstName": "Changed"}, INVALID_PHONE),
            (
                {"company": {"taxId": "DE1"}, "firstName": "Changed"},
                error(422, "901", "company.name => This field is missing.", "/data/attributes/company/name"),
            ),
        ):
            response = await patch(
                client, f"/customers/{reference}", document("customers", body, reference), token
            )
            assert response.status_code == 422
            assert response.json()["errors"] == [expected]
        assert await _profile(client, reference, token) == before

    async def test_keeping_ones_own_phone_is_no_conflict(self, client):
        customer, tokens = await registered_customer(client, phone="+49 30 1234567")
        reference = customer["id"]
        response = await patch(
            client,
            f"/customers/{reference}",
            document("customers", {"phone": "030 1234567"}, reference),
            tokens["accessToken"],
        )
        assert response.status_code == 200
        assert response.json()["data"]["attributes"]["phone"] == "+49301234567"


class TestStatus:
    async def test_registration_is_active_or_pending_while_confirmation_is_required(
        self, app_factory, settings
    ):
        async with running_app(app_factory) as (app, client):
            await register(client)
            assert [row["status"] for row in await _stored(app)] == ["active"]
        async with running_app(app_factory, confirmation_required=True) as (app, client):
            customer = await register(client)
            assert [row["status"] for row in await _stored(app)] == ["pending"]
            email = customer["attributes"]["email"]
            refused = await post(
                client, "/access-tokens", document("access-tokens", {"username": email, "password": PASSWORD})
            )
            assert refused.status_code == 401
            assert refused.json()["errors"] == [AUTHENTICATION_FAILED]
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            confirmed = await post(
                client,
                "/customer-confirmation",
                document("customer-confirmation", {"registrationKey": token_of(mail)}),
            )
            assert confirmed.status_code == 204
            assert [row["status"] for row in await _stored(app)] == ["active"]
            await login(client, email)

    async def test_an_inactive_customer_cannot_log_in_and_its_tokens_fail(self, client, app):
        customer, tokens = await registered_customer(client)
        email = customer["attributes"]["email"]
        await app.state.services.db.execute(
            customers.update().where(customers.c.reference == customer["id"]).values(status="inactive")
        )
        refused = await post(
            client, "/access-tokens", document("access-tokens", {"username": email, "password": PASSWORD})
        )
        assert refused.status_code == 401
        assert refused.json()["errors"] == [AUTHENTICATION_FAILED]
        read = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert read.status_code == 401
        assert read.json()["errors"] == [error(401, "001", "Invalid access token.")]
        refreshed = await post(
            client, "/refresh-tokens", document("refresh-tokens", {"refreshToken": tokens["refreshToken"]})
        )
        assert refreshed.status_code == 401
        assert refreshed.json()["errors"] == [error(401, "004", "Failed to refresh token.")]


class TestSalutation:
    async def test_patch_null_erases_the_salutation_but_registration_requires_it(self, client, app):
        refused = await _register(client, salutation=None)
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            error(422, "901", "salutation => This value should not be blank.", "/data/attributes/salutation")
        ]
        assert await _stored(app) == []
        customer, tokens = await registered_customer(client)
        reference = customer["id"]
        response = await patch(
            client,
            f"/customers/{reference}",
            document("customers", {"salutation": None}, reference),
            tokens["accessToken"],
        )
        assert response.status_code == 200
        assert response.json()["data"]["attributes"]["salutation"] is None


async def test_a_pending_customer_cannot_log_in_while_confirmation_is_not_required(client, app):
    """Pending is 003 whatever the setting says now (BO §3.1): its key or a restore activates it."""
    customer = await register(client)
    await app.state.services.db.execute(
        customers.update().where(customers.c.reference == customer["id"]).values(status="pending")
    )
    refused = await post(
        client,
        "/access-tokens",
        document("access-tokens", {"username": customer["attributes"]["email"], "password": PASSWORD}),
    )
    assert refused.status_code == 401
    assert refused.json()["errors"] == [AUTHENTICATION_FAILED]
