"""BO §4.4 on the storefront's writes: each leaves its event, in its transaction, with the customer as
actor and never a secret; anonymization nulls the personal values of past events, which stay.

The history endpoint is the back-office's, so the events are read through the query layer."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from app.models import Actor, HistoryEvent
from app.queries.history import events_of_customer
from app.tables import customer_events, customers
from tests.helpers import PASSWORD, bearer, document, patch, post, register, registered_customer
from tests.mail_helpers import of_kind, running_app, token_of, wait_for_files
from tests.storefront.test_passwords import NEW_PASSWORD, change_document, forgot, restore_document

COMPANY = {"name": "Muster GmbH", "taxId": "DE123456789"}
ADDRESS = {
    "salutation": "Ms",
    "firstName": "Erika",
    "lastName": "Muster",
    "address1": "Hauptstr. 1",
    "zipCode": "10115",
    "city": "Berlin",
    "iso2Code": "DE",
}


async def _customer_id(app: Any, reference: str) -> int:
    row = await app.state.services.db.fetch_one(
        sa.select(customers.c.id).where(customers.c.reference == reference)
    )
    return int(row[0])


async def _events(app: Any, reference: str) -> list[HistoryEvent]:
    return await events_of_customer(app.state.services.db, await _customer_id(app, reference))


def _summary(events: list[HistoryEvent]) -> list[tuple[str, list[str], dict[str, Any]]]:
    return [(event.event_type, event.changed_fields, event.values) for event in events]


class TestEvents:
    async def test_registration_records_its_values_and_channel_but_not_the_password(self, client, app):
        customer = await register(client, phone="+49 30 1234567", agreement2=True, company=COMPANY)
        (event,) = await _events(app, customer["id"])
        assert event.event_type == "CustomerWasRegistered"
        assert event.actor == Actor("customer", customer["id"])
        assert event.customer_reference == customer["id"] and event.points_balance is None
        assert event.changed_fields == [
            "salutation",
            "firstName",
            "lastName",
            "email",
            "gender",
            "dateOfBirth",
            "locale",
            "phone",
            "agreement1",
            "agreement2",
            "agreement3",
            "company",
            "password",
        ]
        assert event.values == {
            "salutation": "Mr",
            "firstName": "John",
            "lastName": "Doe",
            "email": customer["attributes"]["email"],
            "gender": None,
            "dateOfBirth": None,
            "locale": "en_US",
            "phone": "+49301234567",
            "agreement1": True,
            "agreement2": True,
            "agreement3": False,
            "company": COMPANY,
            "channel": "storefront",
        }

    async def test_patch_records_what_changed_with_the_new_values(self, client, app):
        customer, tokens = await registered_customer(client, firstName="John")
        reference = customer["id"]
        body = {"firstName": "John", "lastName": "Roe", "dateOfBirth": "1980-02-03", "company": COMPANY}
        response = await patch(
            client, f"/customers/{reference}", document("customers", body, reference), tokens["accessToken"]
        )
        assert response.status_code == 200
        unchanged = await patch(
            client,
            f"/customers/{reference}",
            document("customers", {"lastName": "Roe"}, reference),
            tokens["accessToken"],
        )
        assert unchanged.status_code == 200
        events = await _events(app, reference)
        assert _summary(events)[1:] == [
            (
                "CustomerDetailsWereUpdated",
                ["lastName", "dateOfBirth", "company"],
                {"lastName": "Roe", "dateOfBirth": "1980-02-03", "company": COMPANY},
            )
        ]
        assert events[1].actor == Actor("customer", reference)

    async def test_a_refused_write_records_nothing(self, client, app):
        await register(client, phone="+49 30 1234567")
        customer, tokens = await registered_customer(client)
        reference = customer["id"]
        response = await patch(
            client,
            f"/customers/{reference}",
            document("customers", {"phone": "+49 30 1234567", "lastName": "Roe"}, reference),
            tokens["accessToken"],
        )
        assert response.status_code == 422
        assert [event.event_type for event in await _events(app, reference)] == ["CustomerWasRegistered"]

    async def test_address_writes_record_the_address_and_its_changes(self, client, app):
        customer, tokens = await registered_customer(client)
        reference, token = customer["id"], tokens["accessToken"]
        created = await post(
            client,
            f"/customers/{reference}/addresses",
            document("addresses", ADDRESS),
            headers=bearer(token),
        )
        assert created.status_code == 201, created.text
        address_id = created.json()["data"]["id"]
        updated = await patch(
            client,
            f"/customers/{reference}/addresses/{address_id}",
            document("addresses", {"city": "Bonn", "isDefaultBilling": True}, address_id),
            token,
        )
        assert updated.status_code == 200, updated.text
        removed = await client.delete(f"/customers/{reference}/addresses/{address_id}", headers=bearer(token))
        assert removed.status_code == 204
        assert _summary(await _events(app, reference))[1:] == [
            (
                "CustomerAddressWasAdded",
                list(ADDRESS),
                {"addressId": address_id, **ADDRESS},
            ),
            (
                "CustomerAddressWasUpdated",
                ["city", "isDefaultBilling"],
                {"addressId": address_id, "city": "Bonn", "isDefaultBilling": True},
            ),
            ("CustomerAddressWasRemoved", [], {"addressId": address_id}),
        ]

    async def test_password_change_and_restore_record_the_method_only(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            customer, tokens = await registered_customer(client)
            reference, email = customer["id"], customer["attributes"]["email"]
            changed = await patch(client, "/customer-password", change_document(), tokens["accessToken"])
            assert changed.status_code == 204
            assert (await forgot(client, email)).status_code == 204
            mails = await wait_for_files(settings.mail_directory, 2)
            (restore_mail,) = of_kind(mails, "Reset your password")[-1:]
            restored = await patch(
                client, "/customer-restore-password", restore_document(token_of(restore_mail), PASSWORD)
            )
            assert restored.status_code == 204, restored.text
            assert _summary(await _events(app, reference))[1:] == [
                ("PasswordWasChanged", ["password"], {"method": "change"}),
                ("PasswordWasChanged", ["password"], {"method": "restore"}),
            ]

    async def test_confirmation_records_the_activation_by_email(self, app_factory, settings):
        async with running_app(app_factory, confirmation_required=True) as (app, client):
            customer = await register(client)
            (mail,) = await wait_for_files(settings.mail_directory, 1)
            confirmed = await post(
                client,
                "/customer-confirmation",
                document("customer-confirmation", {"registrationKey": token_of(mail)}),
            )
            assert confirmed.status_code == 204
            events = await _events(app, customer["id"])
            assert _summary(events)[1:] == [
                ("CustomerWasActivated", ["status"], {"status": "active", "method": "email"})
            ]
            assert events[1].actor == Actor("customer", customer["id"])


class TestAnonymization:
    async def test_past_personal_values_are_nulled_and_the_events_stay(self, client, app):
        customer, tokens = await registered_customer(
            client, phone="+49 30 1234567", company=COMPANY, gender="Female", dateOfBirth="1970-01-01"
        )
        reference, token = customer["id"], tokens["accessToken"]
        created = await post(
            client, f"/customers/{reference}/addresses", document("addresses", ADDRESS), headers=bearer(token)
        )
        address_id = created.json()["data"]["id"]
        await patch(
            client,
            f"/customers/{reference}",
            document("customers", {"lastName": "Roe", "agreement3": True}, reference),
            token,
        )
        customer_id = await _customer_id(app, reference)
        assert (await client.delete(f"/customers/{reference}", headers=bearer(token))).status_code == 204

        events = await events_of_customer(app.state.services.db, customer_id)
        assert [event.event_type for event in events] == [
            "CustomerWasRegistered",
            "CustomerAddressWasAdded",
            "CustomerDetailsWereUpdated",
            "CustomerWasAnonymized",
        ]
        registered, added, updated, anonymized = (event.values for event in events)
        assert registered == {
            "salutation": None,
            "firstName": None,
            "lastName": None,
            "email": None,
            "gender": None,
            "dateOfBirth": None,
            "locale": "en_US",
            "phone": None,
            "agreement1": True,
            "agreement2": False,
            "agreement3": False,
            "company": None,
            "channel": "storefront",
        }
        assert added == {"addressId": address_id, **dict.fromkeys(ADDRESS)}
        assert updated == {"lastName": None, "agreement3": True}
        assert anonymized == {}
        assert events[2].changed_fields == ["lastName", "agreement3"]  # the names stay
        assert events[3].actor == Actor("customer", reference)
        (row,) = await app.state.services.db.fetch_all(
            sa.select(customers.c.phone, customers.c.company_name, customers.c.status).where(
                customers.c.id == customer_id
            )
        )
        assert (row[0], row[1], row[2]) == (None, None, "anonymized")


async def test_no_event_ever_holds_a_secret(app_factory, settings):
    """A whole storefront life: nothing in the history holds the passwords, their hashes or a key."""
    async with running_app(app_factory, confirmation_required=True) as (app, client):
        customer = await register(client, phone="+49 30 1234567")
        reference, email = customer["id"], customer["attributes"]["email"]
        (confirmation,) = await wait_for_files(settings.mail_directory, 1)
        registration_key = token_of(confirmation)
        await post(
            client,
            "/customer-confirmation",
            document("customer-confirmation", {"registrationKey": registration_key}),
        )
        tokens = (
            await post(
                client, "/access-tokens", document("access-tokens", {"username": email, "password": PASSWORD})
            )
        ).json()["data"]["attributes"]
        await patch(client, "/customer-password", change_document(), tokens["accessToken"])
        await forgot(client, email)
        mails = await wait_for_files(settings.mail_directory, 3)
        restore_key = token_of(of_kind(mails, "Reset your password")[-1])
        await patch(client, "/customer-restore-password", restore_document(restore_key, "Another-Pass-93"))
        db = app.state.services.db
        (password_hash,) = await db.fetch_one(
            sa.select(customers.c.password_hash).where(customers.c.reference == reference)
        )
        rows = await db.fetch_all(sa.select(customer_events))
        stored = json.dumps([dict(row._mapping) for row in rows], default=str)
        assert len(rows) == 4
        for secret in (
            PASSWORD,
            NEW_PASSWORD,
            "Another-Pass-93",
            password_hash,
            registration_key,
            restore_key,
        ):
            assert secret not in stored
        assert tokens["accessToken"] not in stored and tokens["refreshToken"] not in stored


async def test_a_restore_activates_a_pending_customer_once(app_factory, settings):
    async with running_app(app_factory, confirmation_required=True) as (app, client):
        customer = await register(client)
        reference, email = customer["id"], customer["attributes"]["email"]
        await wait_for_files(settings.mail_directory, 1)
        await forgot(client, email)
        mails = await wait_for_files(settings.mail_directory, 2)
        restore_key = token_of(of_kind(mails, "Reset your password")[-1])
        restored = await patch(client, "/customer-restore-password", restore_document(restore_key))
        assert restored.status_code == 204
        confirmation_key = token_of(of_kind(mails, "Confirm")[-1])
        confirmed = await post(
            client,
            "/customer-confirmation",
            document("customer-confirmation", {"registrationKey": confirmation_key}),
        )
        # The restore's activation spent the open registration key (BO §3.1): nothing more happens.
        assert confirmed.status_code == 422
        assert confirmed.json()["errors"][0]["code"] == "423"
        assert _summary(await _events(app, reference))[1:] == [
            ("CustomerWasActivated", ["status"], {"status": "active", "method": "email"}),
            ("PasswordWasChanged", ["password"], {"method": "restore"}),
        ]


async def test_an_inactive_customer_is_not_activated_by_its_key(app_factory, settings):
    async with running_app(app_factory, confirmation_required=True) as (app, client):
        customer = await register(client)
        (mail,) = await wait_for_files(settings.mail_directory, 1)
        await app.state.services.db.execute(
            customers.update().where(customers.c.reference == customer["id"]).values(status="inactive")
        )
        refused = await post(
            client,
            "/customer-confirmation",
            document("customer-confirmation", {"registrationKey": token_of(mail)}),
        )
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {
                "status": "422",
                "code": "423",
                "detail": "This email confirmation code is invalid or has been already used.",
            }
        ]
        assert [event.event_type for event in await _events(app, customer["id"])] == ["CustomerWasRegistered"]
        (row,) = await app.state.services.db.fetch_all(
            sa.select(customers.c.status).where(customers.c.reference == customer["id"])
        )
        assert row[0] == "inactive"
