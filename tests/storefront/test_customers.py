"""Customers at the HTTP level: spec §3, every row of the table and every rule."""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import date, datetime, timedelta

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

ATTRIBUTES = {
    "salutation",
    "firstName",
    "lastName",
    "email",
    "gender",
    "dateOfBirth",
    "locale",
    "phone",
    "loyaltyCardNumber",
    "agreement1",
    "agreement2",
    "agreement3",
    "company",
    "hasAvatar",
    "pendingEmail",
    "pendingPhone",
    "createdAt",
    "updatedAt",
}


def _pointer(name: str) -> str:
    return f"/data/attributes/{name}"


class TestRegister:
    async def test_seed_example_creates_customer_with_store_reference(self, client):
        body = {
            "data": {
                "type": "customers",
                "attributes": {
                    "salutation": "Mr",
                    "firstName": "John",
                    "lastName": "Doe",
                    "email": "jdoe@example.com",
                    "password": "change123!",
                    "confirmPassword": "change123!",
                    "acceptedTerms": True,
                },
            }
        }
        response = await post(client, "/customers", body)
        assert response.status_code == 201
        assert response.headers["content-type"] == "application/vnd.api+json"
        assert response.headers["location"] == "http://testserver/customers/DE--1"
        data = response.json()["data"]
        assert data["type"] == "customers" and data["id"] == "DE--1"
        assert set(data["attributes"]) == ATTRIBUTES
        assert data["attributes"]["email"] == "jdoe@example.com"
        assert data["attributes"]["gender"] is None and data["attributes"]["dateOfBirth"] is None
        assert data["links"] == {"self": "http://testserver/customers/DE--1"}
        created = datetime.fromisoformat(data["attributes"]["createdAt"])
        assert data["attributes"]["createdAt"].endswith("+00:00") and created.utcoffset() == timedelta(0)
        assert response.json()["links"] == {"self": "http://testserver/customers/DE--1"}

    async def test_references_count_up_per_store(self, client):
        first = await register(client)
        second = await register(client)
        assert (first["id"], second["id"]) == ("DE--1", "DE--2")

    async def test_store_code_comes_from_settings(self, app_factory):
        import httpx

        app = app_factory(store="AT")
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                customer = await register(http)
        assert customer["id"].startswith("AT--")

    async def test_response_never_carries_password_or_hash(self, client):
        response = await post(client, "/customers", document("customers", registration()))
        assert "password" not in response.text.lower()
        assert "argon2" not in response.text

    async def test_optional_gender_and_date_of_birth_are_stored(self, client):
        customer = await register(client, gender="Female", dateOfBirth="1990-02-03", salutation="Ms")
        assert customer["attributes"]["gender"] == "Female"
        assert customer["attributes"]["dateOfBirth"] == "1990-02-03"

    async def test_missing_fields_are_901_each_with_pointer(self, client):
        response = await post(client, "/customers", document("customers", {"acceptedTerms": True}))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", f"{name} => This field is missing.", _pointer(name))
            for name in sorted(
                ["confirmPassword", "email", "firstName", "lastName", "password", "salutation"]
            )
        ]

    async def test_invalid_values_are_901(self, client):
        attributes = registration(
            salutation="Sir", email="not-an-email", firstName=" ", lastName="x" * 101, dateOfBirth="yesterday"
        )
        response = await post(client, "/customers", document("customers", attributes))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "dateOfBirth => This value is not a valid date.", _pointer("dateOfBirth")),
            error(422, "901", "email => This value is not a valid email address.", _pointer("email")),
            error(422, "901", "firstName => This value should not be blank.", _pointer("firstName")),
            error(
                422,
                "901",
                "lastName => This value is too long. It should have 100 characters or less.",
                _pointer("lastName"),
            ),
            error(
                422,
                "901",
                "salutation => The value you selected is not a valid choice.",
                _pointer("salutation"),
            ),
        ]

    async def test_wrong_types_are_901(self, client):
        response = await post(
            client, "/customers", document("customers", registration(firstName=12, email=[]))
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "email => This value is not a valid email address.", _pointer("email")),
            error(422, "901", "firstName => This value should be of type string.", _pointer("firstName")),
        ]

    async def test_blank_required_values_are_blank_not_format_errors(self, client):
        attributes = registration(
            salutation=" ", firstName="", lastName="\t", email="  ", password=" ", confirmPassword=""
        )
        response = await post(client, "/customers", document("customers", attributes))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", f"{name} => This value should not be blank.", _pointer(name))
            for name in ("confirmPassword", "email", "firstName", "lastName", "password", "salutation")
        ]

    async def test_blank_confirm_password_is_901_not_406(self, client):
        response = await post(client, "/customers", document("customers", registration(confirmPassword=" ")))
        assert response.json()["errors"] == [
            error(
                422, "901", "confirmPassword => This value should not be blank.", _pointer("confirmPassword")
            )
        ]

    async def test_data_without_attributes_is_an_empty_attribute_set(self, client):
        response = await post(client, "/customers", {"data": {"type": "customers"}})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", f"{name} => This field is missing.", _pointer(name))
            for name in ("confirmPassword", "email", "firstName", "lastName", "password", "salutation")
        ]

    async def test_future_date_of_birth_is_901(self, client):
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        response = await post(client, "/customers", document("customers", registration(dateOfBirth=tomorrow)))
        assert response.json()["errors"] == [
            error(
                422, "901", "dateOfBirth => This value should be a date in the past.", _pointer("dateOfBirth")
            )
        ]

    async def test_invalid_gender_is_414(self, client):
        response = await post(client, "/customers", document("customers", registration(gender="Other")))
        assert response.status_code == 400
        assert response.json()["errors"] == [
            error(400, "414", "The provided gender is invalid. Possible options are: Male, Female")
        ]

    async def test_terms_missing_null_or_false_is_422(self, client):
        for terms in (..., None, False, "true"):
            response = await post(
                client, "/customers", document("customers", registration(acceptedTerms=terms))
            )
            assert response.status_code == 422, terms
            assert response.json()["errors"] == [error(422, "422", "Terms of service were not accepted.")]

    async def test_password_confirmation_mismatch_is_406(self, client):
        response = await post(
            client, "/customers", document("customers", registration(confirmPassword="Other-Pass-9"))
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(
                422,
                "406",
                "Value in field password should be identical to value in the confirmPassword field.",
            )
        ]

    async def test_password_policy_violations_are_901(self, client):
        cases = {
            "Short-1": "password => This value is too short. It should have 8 characters or more.",
            "x" * 129: "password => This value is too long. It should have 128 characters or less.",
            "aaaaaaaaaa": "password => This value should not consist of one repeated character.",
            "password123": "password => This password is too common.",
            "Qwertyuiop": "password => This password is too common.",
        }
        for password, detail in cases.items():
            attributes = registration(password=password, confirmPassword=password)
            response = await post(client, "/customers", document("customers", attributes))
            assert response.json()["errors"] == [error(422, "901", detail, _pointer("password"))], password

    async def test_minimum_length_follows_the_setting(self, app_factory):
        import httpx

        app = app_factory(password_min_length=7)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                customer = await register(http, password="Zq3$vbn", confirmPassword="Zq3$vbn")
        assert customer["id"]

    async def test_taken_email_is_400_case_insensitively_and_trimmed(self, client):
        await register(client, email="Taken@Example.com")
        attributes = registration(email="  taken@example.COM ")
        response = await post(client, "/customers", document("customers", attributes))
        assert response.status_code == 422
        assert response.json()["errors"] == [error(422, "400", "Customer with this email already exists.")]

    async def test_email_is_stored_trimmed(self, client):
        customer = await register(client, email="  spaced@example.com  ")
        assert customer["attributes"]["email"] == "spaced@example.com"

    async def test_client_cannot_set_id_reference_or_timestamps(self, client):
        attributes = registration(
            createdAt="2000-01-01T00:00:00+00:00",
            reference="DE--999",
            id="DE--999",
            passwordHash="x",
            unknownThing=1,
        )
        body = {"data": {"type": "customers", "id": "DE--999", "attributes": attributes}}
        response = await post(client, "/customers", body)
        assert response.status_code == 201
        data = response.json()["data"]
        assert data["id"] == "DE--1"
        assert not data["attributes"]["createdAt"].startswith("2000")
        assert set(data["attributes"]) == ATTRIBUTES

    async def test_failed_registration_writes_nothing(self, client):
        await post(
            client, "/customers", document("customers", registration(email="once@example.com", gender="X"))
        )
        customer = await register(client, email="once@example.com")
        assert customer["id"] == "DE--1"


class TestRead:
    async def test_collection_holds_only_the_caller(self, client):
        await register(client)
        customer, tokens = await registered_customer(client)
        response = await client.get("/customers", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 200
        body = response.json()
        assert [item["id"] for item in body["data"]] == [customer["id"]]
        assert body["links"] == {"self": "http://testserver/customers"}

    async def test_get_own_profile(self, client):
        customer, tokens = await registered_customer(client)
        response = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 200
        expected = {key: value for key, value in customer.items() if key != "password"}
        assert response.json()["data"] == expected
        assert response.headers["cache-control"] == "no-store"

    async def test_foreign_and_unknown_references_are_402(self, client):
        other = await register(client)
        _, tokens = await registered_customer(client)
        for reference in (other["id"], "DE--999", "nobody"):
            response = await client.get(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
            assert response.status_code == 404
            assert response.json()["errors"] == [error(404, "402", "Customer not found.")]

    async def test_without_token_is_403_002(self, client):
        customer = await register(client)
        for path in ("/customers", f"/customers/{customer['id']}"):
            response = await client.get(path)
            assert response.status_code == 403
            assert response.json()["errors"] == [error(403, "002", "Missing access token.")]

    async def test_sparse_fieldset(self, client):
        customer, tokens = await registered_customer(client)
        response = await client.get(
            f"/customers/{customer['id']}?fields[customers]=firstName,email",
            headers=bearer(tokens["accessToken"]),
        )
        assert response.json()["data"]["attributes"] == {
            "firstName": customer["attributes"]["firstName"],
            "email": customer["attributes"]["email"],
        }

    async def test_public_base_url_setting_builds_links(self, app_factory):
        import httpx

        app = app_factory(public_base_url="https://shop.example/api")
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://internal") as http:
                response = await post(http, "/customers", document("customers", registration()))
        assert response.headers["location"].startswith("https://shop.example/api/customers/")
        assert response.json()["data"]["links"]["self"].startswith("https://shop.example/api/customers/")


class TestUpdate:
    async def test_patch_writes_only_sent_attributes(self, client):
        customer, tokens = await registered_customer(client, gender="Male")
        body = document("customers", {"lastName": "Johnson", "email": "example@mail.com"})
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.status_code == 200
        attributes = response.json()["data"]["attributes"]
        assert attributes["lastName"] == "Johnson" and attributes["email"] == "example@mail.com"
        assert attributes["firstName"] == customer["attributes"]["firstName"]
        assert attributes["gender"] == "Male"
        assert attributes["updatedAt"] > customer["attributes"]["updatedAt"]
        assert attributes["createdAt"] == customer["attributes"]["createdAt"]
        await login(client, "example@mail.com", customer["password"])

    async def test_patch_with_matching_id_is_accepted(self, client):
        customer, tokens = await registered_customer(client)
        body = document("customers", {"firstName": "Jane"}, resource_id=customer["id"])
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.json()["data"]["attributes"]["firstName"] == "Jane"

    async def test_patch_foreign_customer_is_411_before_validation(self, client):
        other = await register(client)
        _, tokens = await registered_customer(client)
        for body in (document("customers", {"firstName": "X"}), {"not": "a document"}):
            response = await patch(client, f"/customers/{other['id']}", body, tokens["accessToken"])
            assert response.status_code == 403
            assert response.json()["errors"] == [error(403, "411", "Unauthorized request.")]

    async def test_patch_invalid_values_are_901_and_change_nothing(self, client):
        customer, tokens = await registered_customer(client)
        body = document("customers", {"firstName": None, "email": "bad", "lastName": "Kept?"})
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "email => This value is not a valid email address.", _pointer("email")),
            error(422, "901", "firstName => This value should not be blank.", _pointer("firstName")),
        ]
        current = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert current.json()["data"]["attributes"] == customer["attributes"]

    async def test_patch_invalid_gender_is_414(self, client):
        customer, tokens = await registered_customer(client)
        response = await patch(
            client,
            f"/customers/{customer['id']}",
            document("customers", {"gender": "X"}),
            tokens["accessToken"],
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "414"

    async def test_patch_to_taken_email_is_400(self, client):
        other = await register(client)
        customer, tokens = await registered_customer(client)
        body = document("customers", {"email": other["attributes"]["email"].upper()})
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.status_code == 422
        assert response.json()["errors"] == [error(422, "400", "Customer with this email already exists.")]

    async def test_patch_ignores_password_and_read_only_attributes(self, client):
        customer, tokens = await registered_customer(client)
        body = document(
            "customers", {"password": "New-Password-77", "createdAt": "2000-01-01T00:00:00+00:00"}
        )
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.status_code == 200
        assert response.json()["data"]["attributes"]["createdAt"] == customer["attributes"]["createdAt"]
        await login(client, customer["attributes"]["email"], PASSWORD)

    async def test_patch_and_delete_on_the_collection_are_015(self, client):
        _, tokens = await registered_customer(client)
        for method in ("PATCH", "DELETE"):
            for headers in ({}, bearer(tokens["accessToken"])):
                response = await client.request(method, "/customers", headers=headers)
                assert response.status_code == 400
                assert response.json()["errors"] == [error(400, "015", "Resource id is not specified.")]

    async def test_concurrent_anonymization_makes_patch_410(self, client, app):
        customer, tokens = await registered_customer(client)
        store = app.state.services.stores.default
        principal = await app.state.services.sessions.authenticate(
            tokens["accessToken"], store, "http://testserver"
        )
        await app.state.services.customers.anonymize(principal.customer)
        # The request authenticated before the anonymisation committed would now find nothing to save.
        from errors import ApiError

        try:
            await app.state.services.customers.update(principal.customer, {"first_name": "Late"}, store)
        except ApiError as raised:
            assert raised.problems[0].entry.code == "410"
        else:
            raise AssertionError("update of an anonymised customer succeeded")


class TestAnonymize:
    async def test_delete_anonymizes_and_ends_sessions(self, client):
        customer, tokens = await registered_customer(client)
        second = await login(client, customer["attributes"]["email"], customer["password"])
        response = await client.delete(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 204 and response.content == b""
        for token in (tokens["accessToken"], second["accessToken"]):
            refused = await client.get(f"/customers/{customer['id']}", headers=bearer(token))
            assert refused.status_code == 401
            assert refused.json()["errors"] == [error(401, "001", "Invalid access token.")]
        refresh = await post(
            client, "/refresh-tokens", document("refresh-tokens", {"refreshToken": second["refreshToken"]})
        )
        assert refresh.json()["errors"][0]["code"] == "004"
        failed_login = await post(
            client,
            "/access-tokens",
            document(
                "access-tokens",
                {"username": customer["attributes"]["email"], "password": customer["password"]},
            ),
        )
        assert failed_login.json()["errors"] == [error(401, "003", "Failed to authenticate user.")]

    async def test_email_can_register_again_after_anonymization(self, client):
        customer, tokens = await registered_customer(client, email="again@example.com")
        await client.delete(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        again = await register(client, email="again@example.com")
        assert again["id"] != customer["id"]

    async def test_personal_data_is_erased_and_event_recorded(self, client, app):
        import sqlalchemy as sa

        from app.tables import customer_events, customers

        customer, tokens = await registered_customer(client, gender="Male", dateOfBirth="1980-01-01")
        await client.delete(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        db = app.state.services.db
        row = await db.fetch_one(sa.select(customers).where(customers.c.reference == customer["id"]))
        values = row._mapping
        assert values["first_name"] is None and values["last_name"] is None and values["salutation"] is None
        assert (
            values["gender"] is None and values["date_of_birth"] is None and values["password_hash"] is None
        )
        assert values["email"].endswith("@anonymized.invalid") and values["anonymized_at"] is not None
        assert values["status"] == "anonymized"
        events = await db.fetch_all(
            sa.select(customer_events.c.event_type).where(customer_events.c.customer_id == values["id"])
        )
        assert [event[0] for event in events][-1] == "CustomerWasAnonymized"

    async def test_delete_foreign_customer_is_411(self, client):
        other = await register(client)
        _, tokens = await registered_customer(client)
        response = await client.delete(f"/customers/{other['id']}", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 403
        assert response.json()["errors"] == [error(403, "411", "Unauthorized request.")]


class TestConcurrentRegistration:
    async def test_twenty_simultaneous_registrations_of_one_email_create_one_customer(self, client, app):
        import sqlalchemy as sa

        from app.tables import customers

        body = document("customers", registration(email="race@example.com"))
        responses = await asyncio.gather(*(post(client, "/customers", body) for _ in range(20)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [422] * 19
        assert all(r.json()["errors"][0]["code"] == "400" for r in responses if r.status_code == 422)
        count = await app.state.services.db.fetch_one(
            sa.select(sa.func.count())
            .select_from(customers)
            .where(customers.c.email_key == "race@example.com")
        )
        assert count[0] == 1


class TestEmailAddresses:
    NFC = unicodedata.normalize("NFC", "jdoe@exämple.com")
    NFD = unicodedata.normalize("NFD", "jdoe@exämple.com")

    async def test_nfc_and_nfd_spellings_are_one_account(self, client):
        assert self.NFC != self.NFD
        customer = await register(client, email=self.NFD)
        assert customer["attributes"]["email"] == self.NFC
        response = await post(client, "/customers", document("customers", registration(email=self.NFC)))
        assert response.status_code == 422
        assert response.json()["errors"] == [error(422, "400", "Customer with this email already exists.")]
        await login(client, self.NFD, customer["password"])

    async def test_the_domain_is_idna_normalised_and_lower_cased(self, client):
        customer = await register(client, email="JDoe@XN--EXMPLE-CUA.COM")
        assert customer["attributes"]["email"] == "JDoe@exämple.com"
        for spelling in ("jdoe@EXÄMPLE.com", "jdoe@xn--exmple-cua.com", self.NFD.upper()):
            response = await post(client, "/customers", document("customers", registration(email=spelling)))
            assert response.json()["errors"] == [
                error(422, "400", "Customer with this email already exists.")
            ]
            await login(client, spelling, customer["password"])

    async def test_domains_that_are_not_fully_qualified_are_901(self, client):
        for address in ("a@localhost", "a@intranet", "a@b.invalid"):
            response = await post(client, "/customers", document("customers", registration(email=address)))
            assert response.status_code == 422, address
            assert response.json()["errors"] == [
                error(422, "901", "email => This value is not a valid email address.", _pointer("email"))
            ]

    async def test_patch_to_another_spelling_of_a_taken_address_is_400(self, client):
        await register(client, email=self.NFC)
        customer, tokens = await registered_customer(client)
        body = document("customers", {"email": self.NFD})
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.json()["errors"] == [error(422, "400", "Customer with this email already exists.")]

    async def test_patch_stores_the_normal_form(self, client):
        customer, tokens = await registered_customer(client)
        body = document("customers", {"email": " New@XN--EXMPLE-CUA.com "})
        response = await patch(client, f"/customers/{customer['id']}", body, tokens["accessToken"])
        assert response.status_code == 200
        assert response.json()["data"]["attributes"]["email"] == "New@exämple.com"
