"""CB §4.1, §4.4, §8.2: the back-office creates, lists, reads and changes companies, and creates,
lists, changes and removes their users: an existing customer of the store is linked, anybody else
gets a customer without a password and BO's invitation. Every write is one transaction with its
events and its audit entry; a refusal writes nothing."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from app.stores import Store
from tests.backoffice.helpers import client_token, logged_in_operator, seed_client
from tests.helpers import JSON_API, PASSWORD, bearer, document, error, login, patch, post, registered_customer
from tests.mail_helpers import running_app, text_of, token_of, wait_for_files

STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("CH", "de_CH", ("de_CH", "fr_CH"), "CHF", "Europe/Zurich"),
)
NEW_PASSWORD = "Company-Horse-Battery-9"


def _person(**overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "email": "grace@example.com",
        "salutation": "Ms",
        "firstName": "Grace",
        "lastName": "Hopper",
        "locale": "en_US",
    }
    attributes.update(overrides)
    return document("company-users", {key: value for key, value in attributes.items() if value is not ...})


async def _company(client, headers, **attributes: Any) -> dict[str, Any]:
    body = document("companies", {"store": "DE", "name": "ACME GmbH", **attributes})
    created = await post(client, "/backoffice/companies", body, headers=headers)
    assert created.status_code == 201, created.text
    company: dict[str, Any] = created.json()["data"]
    return company


def _decoded(value: Any) -> Any:
    """JSON columns read through text SQL: SQLite hands back their text."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        return json.loads(value)
    return value


async def _rows(app, sql: str, **parameters: Any) -> list[tuple[Any, ...]]:
    rows = await app.state.services.db.fetch_all(sa.text(sql).bindparams(**parameters))
    return [tuple(_decoded(value) for value in dict(row._mapping).values()) for row in rows]


async def _counts(app) -> dict[str, int]:
    counts = {}
    for table in (
        "companies",
        "company_users",
        "company_events",
        "customers",
        "customer_events",
        "mail_outbox",
    ):
        counts[table] = (await _rows(app, f"SELECT COUNT(*) FROM {table}"))[0][0]  # noqa: S608 - our names
    counts["audit"] = (await _rows(app, "SELECT COUNT(*) FROM audit_events WHERE outcome = 'succeeded'"))[0][
        0
    ]
    return counts


class TestCompanies:
    async def test_create_read_change_and_list(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers, externalReference="ERP-1")
        attributes = company["attributes"]
        assert (attributes["name"], attributes["store"], attributes["isActive"]) == ("ACME GmbH", "DE", True)
        assert attributes["externalReference"] == "ERP-1"
        assert company["links"]["self"] == f"http://testserver/backoffice/companies/{company['id']}"

        path = f"/backoffice/companies/{company['id']}"
        read = await client.get(path, headers=admin.headers)
        assert read.status_code == 200, read.text
        assert read.json()["data"] == company
        changed = await client.patch(
            path,
            json=document("companies", {"name": "ACME AG", "store": "CH", "isActive": False}, company["id"]),
            headers={**admin.headers, "Content-Type": JSON_API},
        )
        assert changed.status_code == 200, changed.text
        changed_attributes = changed.json()["data"]["attributes"]
        assert (changed_attributes["name"], changed_attributes["store"]) == ("ACME AG", "DE")
        assert changed_attributes["isActive"] is False

        events = await _rows(app, "SELECT event_type, changed_fields FROM company_events ORDER BY id")
        assert [event[0] for event in events] == ["CompanyWasCreated", "CompanyWasUpdated"]
        assert sorted(events[1][1]) == ["isActive", "name"]
        audit = await _rows(app, "SELECT action FROM audit_events WHERE outcome = 'succeeded' ORDER BY id")
        assert audit[-2:] == [("POST /backoffice/companies",), ("PATCH /backoffice/companies/{company_id}",)]

    async def test_the_list_is_newest_first_cursor_paged_and_filtered(self, app, client):
        admin = await logged_in_operator(app, client)
        first = await _company(client, admin.headers, name="Alpha Tools")
        second = await _company(client, admin.headers, name="Beta Tools", isActive=False)
        third = await _company(client, admin.headers, name="Gamma")

        page = await client.get("/backoffice/companies?page[limit]=2", headers=admin.headers)
        assert page.status_code == 200, page.text
        assert [item["id"] for item in page.json()["data"]] == [third["id"], second["id"]]
        following = await client.get(page.json()["links"]["next"], headers=admin.headers)
        assert [item["id"] for item in following.json()["data"]] == [first["id"]]
        assert following.json()["links"]["next"] is None

        tools = await client.get("/backoffice/companies?filter[name]=TOOLS", headers=admin.headers)
        assert [item["id"] for item in tools.json()["data"]] == [second["id"], first["id"]]
        active = await client.get(
            "/backoffice/companies?filter[isActive]=true&filter[store]=de", headers=admin.headers
        )
        assert [item["id"] for item in active.json()["data"]] == [third["id"], first["id"]]
        other_store = await client.get("/backoffice/companies?filter[store]=CH", headers=admin.headers)
        assert other_store.json()["data"] == []
        wrong = await client.get("/backoffice/companies?filter[isActive]=yes", headers=admin.headers)
        assert wrong.status_code == 400
        assert wrong.json() == {"errors": [error(400, "011", "Invalid query parameter.")]}

    async def test_refusals_write_nothing(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        before = await _counts(app)
        invalid = await post(
            client,
            "/backoffice/companies",
            document("companies", {"store": "XX", "name": ""}),
            headers=admin.headers,
        )
        assert invalid.status_code == 422
        assert invalid.json() == {
            "errors": [
                error(422, "901", "name => This value should not be blank.", "/data/attributes/name"),
            ]
        }
        unknown_store = await post(
            client,
            "/backoffice/companies",
            document("companies", {"store": "XX", "name": "X"}),
            headers=admin.headers,
        )
        assert unknown_store.status_code == 422
        assert unknown_store.json() == {
            "errors": [
                error(
                    422,
                    "901",
                    "store => The value you selected is not a valid choice.",
                    "/data/attributes/store",
                )
            ]
        }
        unknown = "00000000-0000-4000-8000-000000000009"
        for method, path, body in (
            ("GET", f"/backoffice/companies/{unknown}", None),
            ("PATCH", f"/backoffice/companies/{unknown}", document("companies", {"name": "X"}, unknown)),
            ("GET", f"/backoffice/companies/{unknown}/company-users", None),
            ("POST", f"/backoffice/companies/{unknown}/company-users", _person()),
        ):
            headers = {**admin.headers, **({"Content-Type": JSON_API} if body else {})}
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json() == {"errors": [error(404, "1106", "Company not found.")]}
        too_long = await patch(
            client,
            f"/backoffice/companies/{company['id']}",
            document("companies", {"externalReference": "x" * 65}, company["id"]),
            admin.token,
        )
        assert too_long.status_code == 422
        assert too_long.json()["errors"][0]["source"] == {"pointer": "/data/attributes/externalReference"}
        assert await _counts(app) == before

    async def test_another_stores_company_is_unknown_to_a_store_limited_operator(self, app_factory):
        async with running_app(app_factory, stores=STORES) as (app, client):
            admin = await logged_in_operator(app, client)
            swiss = await _company(client, admin.headers, store="CH")
            limited = await logged_in_operator(app, client, stores=["DE"])
            path = f"/backoffice/companies/{swiss['id']}"
            response = await client.get(path, headers=limited.headers)
            assert response.status_code == 404
            assert response.json() == {"errors": [error(404, "1106", "Company not found.")]}
            listed = await client.get("/backoffice/companies", headers=limited.headers)
            assert listed.json()["data"] == []
            refused = await post(
                client,
                "/backoffice/companies",
                document("companies", {"store": "CH", "name": "X"}),
                headers=limited.headers,
            )
            assert refused.status_code == 422
            assert refused.json()["errors"][0]["source"] == {"pointer": "/data/attributes/store"}


class TestCompanyUsers:
    async def test_a_new_person_gets_a_customer_without_password_and_the_invitation(
        self, app_factory, settings
    ):
        async with running_app(app_factory) as (app, client):
            admin = await logged_in_operator(app, client)
            company = await _company(client, admin.headers)
            created = await post(
                client,
                f"/backoffice/companies/{company['id']}/company-users",
                _person(role="admin"),
                headers=admin.headers,
            )
            assert created.status_code == 201, created.text
            user = created.json()["data"]
            assert created.headers["Location"] == f"http://testserver/backoffice/company-users/{user['id']}"
            attributes = user["attributes"]
            assert (attributes["role"], attributes["isActive"], attributes["isDefault"]) == (
                "admin",
                True,
                True,
            )
            assert (attributes["email"], attributes["firstName"]) == ("grace@example.com", "Grace")
            assert user["relationships"] == {
                "companies": {"data": [{"type": "companies", "id": company["id"]}]}
            }
            reference = attributes["customerReference"]
            (password_hash,) = (
                await _rows(app, "SELECT password_hash FROM customers WHERE reference = :r", r=reference)
            )[0]
            assert password_hash is None
            events = await _rows(
                app,
                'SELECT event_type, "values" FROM customer_events WHERE customer_reference = :r ORDER BY id',
                r=reference,
            )
            assert [event[0] for event in events] == ["CustomerWasRegistered", "CompanyUserWasCreated"]
            assert events[0][1]["channel"] == "company"
            assert events[1][1] == {
                "companyUserId": user["id"],
                "companyId": company["id"],
                "role": "admin",
                "isActive": True,
            }

            (mail,) = await wait_for_files(settings.mail_directory, 1)
            assert mail["To"] == "grace@example.com"
            assert mail["Subject"] == "You are invited to ACME GmbH"
            assert "7 days" in text_of(mail)
            restored = await patch(
                client,
                "/customer-restore-password",
                document(
                    "customer-restore-password",
                    {
                        "restorePasswordKey": token_of(mail),
                        "password": NEW_PASSWORD,
                        "confirmPassword": NEW_PASSWORD,
                    },
                ),
            )
            assert restored.status_code == 204, restored.text
            assert (await login(client, "grace@example.com", NEW_PASSWORD))["accessToken"]

    async def test_an_existing_customer_is_linked_and_told(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            admin = await logged_in_operator(app, client)
            company = await _company(client, admin.headers)
            customer, _ = await registered_customer(client, email="erika@example.com")
            before = await _counts(app)
            created = await post(
                client,
                f"/backoffice/companies/{company['id']}/company-users",
                _person(email="Erika@Example.com", firstName="Other", lastName="Name", locale=...),
                headers=admin.headers,
            )
            assert created.status_code == 201, created.text
            attributes = created.json()["data"]["attributes"]
            assert (attributes["customerReference"], attributes["firstName"]) == (customer["id"], "John")
            assert attributes["role"] == "buyer"
            after = await _counts(app)
            assert after["customers"] == before["customers"]
            assert after["company_users"] == before["company_users"] + 1
            messages = await wait_for_files(settings.mail_directory, 1)
            assert messages[-1]["Subject"] == "You were added to ACME GmbH"
            assert "http://localhost:3000/login" in text_of(messages[-1])
            # With a password already, the customer logs in as before.
            assert (await login(client, "erika@example.com", PASSWORD))["accessToken"]

            before = await _counts(app)
            again = await post(
                client,
                f"/backoffice/companies/{company['id']}/company-users",
                _person(email="erika@example.com"),
                headers=admin.headers,
            )
            assert again.status_code == 422
            assert again.json() == {
                "errors": [error(422, "1108", "This person is already a user of the company.")]
            }
            assert await _counts(app) == before

    async def test_an_inactive_company_takes_no_users_and_bad_bodies_are_refused(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers, isActive=False)
        path = f"/backoffice/companies/{company['id']}/company-users"
        before = await _counts(app)
        inactive = await post(client, path, _person(), headers=admin.headers)
        assert inactive.status_code == 422
        assert inactive.json() == {"errors": [error(422, "1109", "Company is not active.")]}
        invalid = await post(
            client, path, _person(email="not-an-email", salutation="Sir", role="owner"), headers=admin.headers
        )
        assert invalid.status_code == 422
        assert invalid.json() == {
            "errors": [
                error(
                    422, "901", "email => This value is not a valid email address.", "/data/attributes/email"
                ),
                error(
                    422,
                    "901",
                    "role => The value you selected is not a valid choice.",
                    "/data/attributes/role",
                ),
                error(
                    422,
                    "901",
                    "salutation => The value you selected is not a valid choice.",
                    "/data/attributes/salutation",
                ),
            ]
        }
        assert await _counts(app) == before

    async def test_list_change_and_remove(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        customer, _ = await registered_customer(client)
        path = f"/backoffice/companies/{company['id']}/company-users"
        first = (await post(client, path, _person(), headers=admin.headers)).json()["data"]
        second = (
            await post(client, path, _person(email=customer["attributes"]["email"]), headers=admin.headers)
        ).json()["data"]

        listed = await client.get(path + "?page[limit]=1", headers=admin.headers)
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["data"]] == [second["id"]]
        following = await client.get(listed.json()["links"]["next"], headers=admin.headers)
        assert [item["id"] for item in following.json()["data"]] == [first["id"]]

        user_path = f"/backoffice/company-users/{second['id']}"
        changed = await patch(
            client,
            user_path,
            document(
                "company-users", {"role": "admin", "isActive": False, "email": "x@example.com"}, second["id"]
            ),
            admin.token,
        )
        assert changed.status_code == 200, changed.text
        changed_attributes = changed.json()["data"]["attributes"]
        assert (changed_attributes["role"], changed_attributes["isActive"]) == ("admin", False)
        assert changed_attributes["isDefault"] is False
        assert changed_attributes["email"] == customer["attributes"]["email"]

        removed = await client.delete(user_path, headers=admin.headers)
        assert removed.status_code == 204
        before = await _counts(app)
        for method, body in (
            ("PATCH", document("company-users", {"role": "buyer"}, second["id"])),
            ("DELETE", None),
        ):
            headers = {**admin.headers, **({"Content-Type": JSON_API} if body else {})}
            gone = await client.request(method, user_path, json=body, headers=headers)
            assert gone.status_code == 404
            assert gone.json() == {"errors": [error(404, "1104", "Company user not found.")]}
        assert await _counts(app) == before
        events = await _rows(
            app,
            "SELECT event_type FROM customer_events WHERE customer_reference = :r ORDER BY id",
            r=customer["id"],
        )
        assert [event[0] for event in events][-3:] == [
            "CompanyUserWasCreated",
            "CompanyUserWasUpdated",
            "CompanyUserWasRemoved",
        ]
        # The account stays.
        assert (
            await client.get(f"/backoffice/customers/{customer['id']}", headers=admin.headers)
        ).status_code == 200


class TestErasureAndAnonymization:
    async def test_erasing_a_customer_deletes_its_company_users(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        customer, _ = await registered_customer(client)
        path = f"/backoffice/companies/{company['id']}/company-users"
        user = (
            await post(client, path, _person(email=customer["attributes"]["email"]), headers=admin.headers)
        ).json()
        erased = await client.delete(f"/backoffice/customers/{customer['id']}", headers=admin.headers)
        assert erased.status_code == 204, erased.text
        assert await _rows(app, "SELECT id FROM company_users WHERE id = :i", i=user["data"]["id"]) == []
        assert (await client.get(path, headers=admin.headers)).json()["data"] == []

    async def test_anonymizing_a_customer_removes_its_company_users(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        customer, _ = await registered_customer(client)
        path = f"/backoffice/companies/{company['id']}/company-users"
        await post(client, path, _person(email=customer["attributes"]["email"]), headers=admin.headers)
        anonymized = await client.post(
            f"/backoffice/customers/{customer['id']}/anonymize", headers=admin.headers
        )
        assert anonymized.status_code == 204, anonymized.text
        assert (await client.get(path, headers=admin.headers)).json()["data"] == []
        # The person may be linked again under a new e-mail: the anonymized customer is nobody's.
        again = await post(
            client, path, _person(email=customer["attributes"]["email"]), headers=admin.headers
        )
        assert again.status_code == 201, again.text
        assert again.json()["data"]["attributes"]["customerReference"] != customer["id"]


class TestCompanyHistory:
    """``GET /backoffice/companies/{id}/history`` (CB §5.4, BO §4.4): the company's own events."""

    async def test_creation_and_changes_newest_first_in_the_history_events_shape(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers, externalReference="ERP-1")
        path = f"/backoffice/companies/{company['id']}"
        for changes in (
            {"name": "ACME AG"},
            {"name": "ACME AG"},
            {"isActive": False, "externalReference": None},
        ):
            changed = await patch(client, path, document("companies", changes, company["id"]), admin.token)
            assert changed.status_code == 200, changed.text

        history = await client.get(f"{path}/history", headers=admin.headers)

        assert history.status_code == 200, history.text
        data = history.json()["data"]
        actor = {"type": "operator", "id": admin.id}
        assert [(item["type"], item["attributes"]["actor"]) for item in data] == [
            ("history-events", actor)
        ] * 3
        assert [
            (
                item["attributes"]["eventType"],
                sorted(item["attributes"]["changedFields"]),
                item["attributes"]["values"],
                item["attributes"]["pointsBalance"],
            )
            for item in data
        ] == [
            (
                "CompanyWasUpdated",
                ["externalReference", "isActive"],
                {"isActive": False, "externalReference": None},
                None,
            ),
            ("CompanyWasUpdated", ["name"], {"name": "ACME AG"}, None),
            (
                "CompanyWasCreated",
                ["externalReference", "isActive", "name", "store"],
                {"store": "DE", "name": "ACME GmbH", "isActive": True, "externalReference": "ERP-1"},
                None,
            ),
        ]
        assert [int(item["id"]) for item in data] == sorted((int(item["id"]) for item in data), reverse=True)
        assert all(item["attributes"]["createdAt"].endswith("+00:00") for item in data)

    async def test_cursor_paging_and_the_event_type_filter(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        path = f"/backoffice/companies/{company['id']}"
        for name in ("One", "Two"):
            await patch(client, path, document("companies", {"name": name}, company["id"]), admin.token)

        first = await client.get(f"{path}/history?page[limit]=2", headers=admin.headers)
        following = await client.get(first.json()["links"]["next"], headers=admin.headers)
        created = await client.get(
            f"{path}/history?filter[eventType]=CompanyWasCreated", headers=admin.headers
        )

        assert [item["attributes"]["values"] for item in first.json()["data"]] == [
            {"name": "Two"},
            {"name": "One"},
        ]
        assert [item["attributes"]["eventType"] for item in following.json()["data"]] == ["CompanyWasCreated"]
        assert following.json()["links"]["next"] is None
        assert [item["attributes"]["eventType"] for item in created.json()["data"]] == ["CompanyWasCreated"]
        other = await _company(client, admin.headers, name="Other")
        other_history = await client.get(
            f"/backoffice/companies/{other['id']}/history", headers=admin.headers
        )
        assert [item["attributes"]["values"]["name"] for item in other_history.json()["data"]] == ["Other"]

    async def test_an_unknown_company_is_1106_and_a_bad_query_011(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        for unknown in ("00000000-0000-4000-8000-000000000009", "x"):
            response = await client.get(f"/backoffice/companies/{unknown}/history", headers=admin.headers)
            assert (response.status_code, response.json()) == (
                404,
                {"errors": [error(404, "1106", "Company not found.")]},
            )
        for query in (
            "filter[eventType]=",
            "filter[eventType]=Company-Was",
            "page[cursor]=x",
            "filter[name]=A",
        ):
            response = await client.get(
                f"/backoffice/companies/{company['id']}/history?{query}", headers=admin.headers
            )
            assert (response.status_code, response.json()) == (
                400,
                {"errors": [error(400, "011", "Invalid query parameter.")]},
            ), query

    async def test_another_stores_company_is_1106_to_a_store_limited_operator(self, app_factory):
        async with running_app(app_factory, stores=STORES) as (app, client):
            admin = await logged_in_operator(app, client)
            swiss = await _company(client, admin.headers, store="CH")
            limited = await logged_in_operator(app, client, stores=["DE"])
            response = await client.get(
                f"/backoffice/companies/{swiss['id']}/history", headers=limited.headers
            )
            assert (response.status_code, response.json()) == (
                404,
                {"errors": [error(404, "1106", "Company not found.")]},
            )

    async def test_sellers_commerce_clients_and_customers_are_refused(self, app, client):
        admin = await logged_in_operator(app, client)
        company = await _company(client, admin.headers)
        path = f"/backoffice/companies/{company['id']}/history"
        seller = await logged_in_operator(app, client, role="seller", permissions=("customers:read",))
        client_id, secret = await seed_client(app, ("commerce:write",))
        commerce = bearer((await client_token(client, client_id, secret)).json()["access_token"])
        _, tokens = await registered_customer(client)
        refused = error(403, "1000", "Insufficient permissions.")
        for headers, expected in (
            (seller.headers, (403, {"errors": [refused]})),
            (commerce, (403, {"errors": [refused]})),
            (bearer(tokens["accessToken"]), (401, {"errors": [error(401, "001", "Invalid access token.")]})),
            ({}, (403, {"errors": [error(403, "002", "Missing access token.")]})),
        ):
            response = await client.get(path, headers=headers)
            assert (response.status_code, response.json()) == expected
