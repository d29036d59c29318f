"""Addresses at the HTTP level: SF §4 and CB §3, rule by rule, with the seed's own examples.

The three default roles (billing, shipping, contact) follow one set of rules; each rule test checks
all three."""

from __future__ import annotations

import asyncio
import random
import uuid

import sqlalchemy as sa

from tests.helpers import JSON_API, bearer, document, error, patch, post, register, registered_customer

ATTRIBUTES = {
    "salutation",
    "firstName",
    "lastName",
    "address1",
    "address2",
    "address3",
    "zipCode",
    "city",
    "country",
    "iso2Code",
    "company",
    "phone",
    "isDefaultShipping",
    "isDefaultBilling",
    "isDefaultContact",
}
FLAGS = ("isDefaultBilling", "isDefaultShipping", "isDefaultContact")
NO_FLAGS = dict.fromkeys(FLAGS, False)


def address(**overrides):
    attributes = {
        "salutation": "Mr",
        "firstName": "John",
        "lastName": "Doe",
        "address1": "11 Second Street",
        "zipCode": "12312",
        "city": "Berlin",
        "iso2Code": "DE",
    }
    attributes.update(overrides)
    return {key: value for key, value in attributes.items() if value is not ...}


async def create(client, customer, token, **overrides):
    response = await post(
        client,
        f"/customers/{customer['id']}/addresses",
        document("addresses", address(**overrides)),
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def listing(client, customer, token):
    response = await client.get(f"/customers/{customer['id']}/addresses", headers=bearer(token))
    assert response.status_code == 200
    return response.json()["data"]


def defaults(addresses):
    """The ids showing each flag: (billing, shipping, contact)."""
    return tuple([item["id"] for item in addresses if item["attributes"][flag]] for flag in FLAGS)


class TestCreate:
    async def test_seed_example_request(self, client):
        customer, tokens = await registered_customer(client)
        body = {
            "data": {
                "type": "addresses",
                "attributes": {
                    "salutation": "Mr",
                    "firstName": "John",
                    "lastName": "Doe",
                    "address1": "11 Second Street",
                    "address2": "4th Floor",
                    "address3": "Suite 555",
                    "zipCode": "12312",
                    "city": "Berlin",
                    "country": "Germany",
                    "iso2Code": "DE",
                    "phone": "22111-3-4-5",
                    "isDefaultShipping": False,
                    "isDefaultBilling": False,
                    "isDefaultContact": False,
                },
            }
        }
        response = await post(
            client, f"/customers/{customer['id']}/addresses", body, headers=bearer(tokens["accessToken"])
        )
        assert response.status_code == 201
        data = response.json()["data"]
        assert data["type"] == "addresses" and str(uuid.UUID(data["id"])) == data["id"]
        assert data["attributes"] == {
            "salutation": "Mr",
            "firstName": "John",
            "lastName": "Doe",
            "address1": "11 Second Street",
            "address2": "4th Floor",
            "address3": "Suite 555",
            "zipCode": "12312",
            "city": "Berlin",
            "country": "Germany",
            "iso2Code": "DE",
            "company": None,
            "phone": "22111-3-4-5",
            # The first address is every default, whatever its flags say.
            "isDefaultShipping": True,
            "isDefaultBilling": True,
            "isDefaultContact": True,
        }
        self_link = f"http://testserver/customers/{customer['id']}/addresses/{data['id']}"
        assert data["links"] == {"self": self_link}
        assert response.headers["location"] == self_link

    async def test_country_is_derived_from_iso2code_and_client_country_ignored(self, client):
        customer, tokens = await registered_customer(client)
        data = await create(client, customer, tokens["accessToken"], iso2Code="US", country="Germany")
        assert data["attributes"]["country"] == "United States" and data["attributes"]["iso2Code"] == "US"
        lower = await create(client, customer, tokens["accessToken"], iso2Code="at")
        assert lower["attributes"]["iso2Code"] == "AT" and lower["attributes"]["country"] == "Austria"

    async def test_required_attributes_are_901_with_pointers(self, client):
        customer, tokens = await registered_customer(client)
        response = await post(
            client,
            f"/customers/{customer['id']}/addresses",
            document("addresses", {}),
            headers=bearer(tokens["accessToken"]),
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", f"{name} => This field is missing.", f"/data/attributes/{name}")
            for name in ("address1", "city", "firstName", "iso2Code", "lastName", "salutation", "zipCode")
        ]

    async def test_invalid_values_are_901(self, client):
        customer, tokens = await registered_customer(client)
        attributes = address(
            iso2Code="XX",
            zipCode="1" * 16,
            city=" ",
            salutation="Sir",
            phone="9" * 256,
            isDefaultBilling="yes",
        )
        response = await post(
            client,
            f"/customers/{customer['id']}/addresses",
            document("addresses", attributes),
            headers=bearer(tokens["accessToken"]),
        )
        assert response.json()["errors"] == [
            error(422, "901", "city => This value should not be blank.", "/data/attributes/city"),
            error(
                422,
                "901",
                "isDefaultBilling => This value should be of type bool.",
                "/data/attributes/isDefaultBilling",
            ),
            error(422, "901", "iso2Code => This value is not a valid country.", "/data/attributes/iso2Code"),
            error(
                422,
                "901",
                "phone => This value is too long. It should have 255 characters or less.",
                "/data/attributes/phone",
            ),
            error(
                422,
                "901",
                "salutation => The value you selected is not a valid choice.",
                "/data/attributes/salutation",
            ),
            error(
                422,
                "901",
                "zipCode => This value is too long. It should have 15 characters or less.",
                "/data/attributes/zipCode",
            ),
        ]
        assert await listing(client, customer, tokens["accessToken"]) == []

    async def test_flags_must_be_json_booleans(self, client):
        customer, tokens = await registered_customer(client)
        for value in (0, 1, "true", None):
            response = await post(
                client,
                f"/customers/{customer['id']}/addresses",
                document("addresses", address(isDefaultShipping=value)),
                headers=bearer(tokens["accessToken"]),
            )
            expected = (
                "This value should not be blank." if value is None else "This value should be of type bool."
            )
            assert response.json()["errors"] == [
                error(422, "901", f"isDefaultShipping => {expected}", "/data/attributes/isDefaultShipping")
            ], value
        assert await listing(client, customer, tokens["accessToken"]) == []


class TestDefaultRules:
    async def test_absent_flags_mean_true_and_move_every_default(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(client, customer, tokens["accessToken"])
        second = await create(client, customer, tokens["accessToken"])
        assert defaults(await listing(client, customer, tokens["accessToken"])) == ([second["id"]],) * 3
        assert first["id"] != second["id"]

    async def test_false_never_unsets_the_current_default(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(client, customer, tokens["accessToken"])
        second = await create(client, customer, tokens["accessToken"], **NO_FLAGS)
        assert not any(second["attributes"][flag] for flag in FLAGS)
        response = await patch(
            client,
            f"/customers/{customer['id']}/addresses/{first['id']}",
            document("addresses", NO_FLAGS),
            tokens["accessToken"],
        )
        assert all(response.json()["data"]["attributes"][flag] is True for flag in FLAGS)
        assert defaults(await listing(client, customer, tokens["accessToken"])) == ([first["id"]],) * 3

    async def test_true_moves_that_default_only(self, client):
        for moved in FLAGS:
            customer, tokens = await registered_customer(client)
            first = await create(client, customer, tokens["accessToken"])
            second = await create(client, customer, tokens["accessToken"], **NO_FLAGS)
            response = await patch(
                client,
                f"/customers/{customer['id']}/addresses/{second['id']}",
                document("addresses", {moved: True}),
                tokens["accessToken"],
            )
            attributes = response.json()["data"]["attributes"]
            assert {flag: attributes[flag] for flag in FLAGS} == {flag: flag == moved for flag in FLAGS}
            assert defaults(await listing(client, customer, tokens["accessToken"])) == tuple(
                [second["id"]] if flag == moved else [first["id"]] for flag in FLAGS
            )

    async def test_a_client_that_never_sends_flags_moves_the_contact_default_as_the_others(self, client):
        customer, tokens = await registered_customer(client)
        created = [await create(client, customer, tokens["accessToken"]) for _ in range(3)]
        assert defaults(await listing(client, customer, tokens["accessToken"])) == ([created[-1]["id"]],) * 3

    async def test_deleting_a_default_clears_it_and_the_next_write_takes_it(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(client, customer, tokens["accessToken"])
        second = await create(client, customer, tokens["accessToken"], **NO_FLAGS)
        deleted = await client.delete(
            f"/customers/{customer['id']}/addresses/{first['id']}", headers=bearer(tokens["accessToken"])
        )
        assert deleted.status_code == 204 and deleted.content == b""
        assert defaults(await listing(client, customer, tokens["accessToken"])) == ([], [], [])
        response = await patch(
            client,
            f"/customers/{customer['id']}/addresses/{second['id']}",
            document("addresses", {"city": "Hamburg", "isDefaultBilling": False, "isDefaultContact": False}),
            tokens["accessToken"],
        )
        attributes = response.json()["data"]["attributes"]
        assert all(attributes[flag] for flag in FLAGS) and attributes["city"] == "Hamburg"
        third = await create(client, customer, tokens["accessToken"], **NO_FLAGS)
        assert not any(third["attributes"][flag] for flag in FLAGS)

    async def test_deleting_the_contact_default_alone_clears_only_it(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(client, customer, tokens["accessToken"])
        contact = await create(
            client, customer, tokens["accessToken"], **{**NO_FLAGS, "isDefaultContact": True}
        )
        await client.delete(
            f"/customers/{customer['id']}/addresses/{contact['id']}", headers=bearer(tokens["accessToken"])
        )
        assert defaults(await listing(client, customer, tokens["accessToken"])) == (
            [first["id"]],
            [first["id"]],
            [],
        )
        again = await create(client, customer, tokens["accessToken"], **NO_FLAGS)
        assert [again["attributes"][flag] for flag in FLAGS] == [False, False, True]

    async def test_created_address_takes_a_cleared_default_whatever_its_flags(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(client, customer, tokens["accessToken"])
        await client.delete(
            f"/customers/{customer['id']}/addresses/{first['id']}", headers=bearer(tokens["accessToken"])
        )
        again = await create(client, customer, tokens["accessToken"], **NO_FLAGS)
        assert all(again["attributes"][flag] for flag in FLAGS)

    async def test_the_contact_flag_must_be_a_json_boolean(self, client):
        customer, tokens = await registered_customer(client)
        response = await post(
            client,
            f"/customers/{customer['id']}/addresses",
            document("addresses", address(isDefaultContact="yes")),
            headers=bearer(tokens["accessToken"]),
        )
        assert response.json()["errors"] == [
            error(
                422,
                "901",
                "isDefaultContact => This value should be of type bool.",
                "/data/attributes/isDefaultContact",
            )
        ]
        assert await listing(client, customer, tokens["accessToken"]) == []


class TestReadUpdateDelete:
    async def test_seed_example_listing_shape(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(
            client,
            customer,
            tokens["accessToken"],
            firstName="Jason",
            lastName="Voorhees",
            address1="123 Sleep Street",
            address2="123",
            zipCode="12345",
            city="Dresden",
        )
        await create(
            client,
            customer,
            tokens["accessToken"],
            iso2Code="US",
            address2="4th Floor",
            address3="Suite 555",
            phone="22111-3-4-5",
            isDefaultBilling=False,
            isDefaultShipping=False,
        )
        response = await client.get(
            f"/customers/{customer['id']}/addresses", headers=bearer(tokens["accessToken"])
        )
        body = response.json()
        assert body["links"] == {"self": f"http://testserver/customers/{customer['id']}/addresses"}
        assert [item["attributes"]["city"] for item in body["data"]] == ["Dresden", "Berlin"]
        assert body["data"][0]["id"] == first["id"]
        assert body["data"][0]["attributes"]["isDefaultBilling"] is True
        assert body["data"][1]["attributes"]["country"] == "United States"
        assert all(set(item["attributes"]) == ATTRIBUTES for item in body["data"])

    async def test_an_id_no_address_can_have_is_404_on_every_method(self, client):
        # A NUL in the path reached PostgreSQL, which refuses it in text (500 instead of 404).
        customer, tokens = await registered_customer(client)
        await create(client, customer, tokens["accessToken"])
        headers = {"Content-Type": JSON_API, **bearer(tokens["accessToken"])}
        for address_id in ("%00", "a%00b", "not-a-uuid", str(uuid.uuid4()).upper()):
            path = f"/customers/{customer['id']}/addresses/{address_id}"
            answers = [
                await client.get(path, headers=headers),
                await client.patch(path, json=document("addresses", {"city": "Dresden"}), headers=headers),
                await client.delete(path, headers=headers),
            ]
            for response in answers:
                assert response.status_code == 404, (address_id, response.text)
                assert response.json() == {"errors": [error(404, "404", "Address was not found.")]}

    async def test_empty_listing(self, client):
        customer, tokens = await registered_customer(client)
        assert await listing(client, customer, tokens["accessToken"]) == []

    async def test_get_one_and_sparse_fields(self, client):
        customer, tokens = await registered_customer(client)
        created = await create(client, customer, tokens["accessToken"])
        path = f"/customers/{customer['id']}/addresses/{created['id']}"
        response = await client.get(path, headers=bearer(tokens["accessToken"]))
        assert response.json()["data"] == created
        sparse = await client.get(
            f"{path}?fields[addresses]=city,zipCode", headers=bearer(tokens["accessToken"])
        )
        assert sparse.json()["data"]["attributes"] == {"city": "Berlin", "zipCode": "12312"}

    async def test_patch_writes_only_sent_attributes(self, client):
        customer, tokens = await registered_customer(client)
        created = await create(client, customer, tokens["accessToken"], company="ACME")
        response = await patch(
            client,
            f"/customers/{customer['id']}/addresses/{created['id']}",
            document("addresses", {"city": "Munich", "address2": None}, created["id"]),
            tokens["accessToken"],
        )
        assert response.status_code == 200
        expected = {**created["attributes"], "city": "Munich", "address2": None}
        assert response.json()["data"]["attributes"] == expected

    async def test_patch_required_attribute_to_null_is_901_and_changes_nothing(self, client):
        customer, tokens = await registered_customer(client)
        created = await create(client, customer, tokens["accessToken"])
        path = f"/customers/{customer['id']}/addresses/{created['id']}"
        response = await patch(
            client, path, document("addresses", {"city": None, "iso2Code": "ZZ"}), tokens["accessToken"]
        )
        assert response.json()["errors"] == [
            error(422, "901", "city => This value should not be blank.", "/data/attributes/city"),
            error(422, "901", "iso2Code => This value is not a valid country.", "/data/attributes/iso2Code"),
        ]
        assert (await client.get(path, headers=bearer(tokens["accessToken"]))).json()["data"] == created

    async def test_unknown_and_foreign_address_ids_are_404(self, client):
        owner, owner_tokens = await registered_customer(client)
        foreign = await create(client, owner, owner_tokens["accessToken"])
        customer, tokens = await registered_customer(client)
        for address_id in (foreign["id"], str(uuid.uuid4()), "not-a-uuid"):
            path = f"/customers/{customer['id']}/addresses/{address_id}"
            for response in (
                await client.get(path, headers=bearer(tokens["accessToken"])),
                await patch(client, path, document("addresses", {"city": "X"}), tokens["accessToken"]),
                await client.delete(path, headers=bearer(tokens["accessToken"])),
            ):
                assert response.status_code == 404
                assert response.json()["errors"] == [error(404, "404", "Address was not found.")]
        still = await client.get(
            f"/customers/{owner['id']}/addresses/{foreign['id']}", headers=bearer(owner_tokens["accessToken"])
        )
        assert still.json()["data"]["attributes"]["city"] == "Berlin"

    async def test_foreign_or_unknown_reference_is_411_for_every_method(self, client):
        owner, owner_tokens = await registered_customer(client)
        created = await create(client, owner, owner_tokens["accessToken"])
        _, tokens = await registered_customer(client)
        auth = {**bearer(tokens["accessToken"]), "Content-Type": JSON_API}
        for reference in (owner["id"], "DE--999"):
            collection = f"/customers/{reference}/addresses"
            item = f"{collection}/{created['id']}"
            for method, path, body in (
                ("GET", collection, None),
                ("POST", collection, {"junk": 1}),
                ("GET", item, None),
                ("PATCH", item, {"junk": 1}),
                ("DELETE", item, None),
                ("PATCH", collection, None),
                ("DELETE", collection, None),
            ):
                response = await client.request(method, path, json=body, headers=auth)
                assert response.status_code == 403, (method, path)
                assert response.json()["errors"] == [error(403, "411", "Unauthorized request.")]

    async def test_patch_or_delete_without_id_is_412(self, client):
        customer, tokens = await registered_customer(client)
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method, f"/customers/{customer['id']}/addresses", headers=bearer(tokens["accessToken"])
            )
            assert response.status_code == 400
            assert response.json()["errors"] == [error(400, "412", "Address UUID is missing.")]

    async def test_an_empty_reference_is_405_after_the_token_check(self, client):
        _, tokens = await registered_customer(client)
        cases = [("GET", "/customers//addresses"), ("POST", "/customers//addresses")]
        cases += [(method, "/customers//addresses") for method in ("PATCH", "DELETE")]
        cases += [(method, f"/customers//addresses/{uuid.uuid4()}") for method in ("GET", "PATCH", "DELETE")]
        body = document("addresses", address())
        for method, path in cases:
            anonymous = await client.request(method, path, json=body, headers={"Content-Type": JSON_API})
            assert anonymous.json()["errors"] == [error(403, "002", "Missing access token.")], (method, path)
            forged = await client.request(method, path, json=body, headers=bearer("not-a-token"))
            assert forged.json()["errors"] == [error(401, "001", "Invalid access token.")], (method, path)
            response = await client.request(method, path, json=body, headers=bearer(tokens["accessToken"]))
            assert response.status_code == 400, (method, path)
            assert response.json()["errors"] == [error(400, "405", "Customer reference is missing.")]

    async def test_blank_required_values_are_blank_not_format_errors(self, client):
        customer, tokens = await registered_customer(client)
        response = await post(
            client,
            f"/customers/{customer['id']}/addresses",
            document("addresses", address(salutation="", iso2Code=" ")),
            headers=bearer(tokens["accessToken"]),
        )
        assert response.json()["errors"] == [
            error(422, "901", f"{name} => This value should not be blank.", f"/data/attributes/{name}")
            for name in ("iso2Code", "salutation")
        ]

    async def test_without_token_is_002(self, client):
        customer = await register(client)
        response = await client.get(f"/customers/{customer['id']}/addresses")
        assert response.json()["errors"] == [error(403, "002", "Missing access token.")]

    async def test_address_deleted_while_update_waits_is_409(self, client, database_url, is_postgres):
        """A real interleaving: another connection holds the customer's row lock and deletes the address;
        the PATCH that already found the address then has nothing left to save (PostgreSQL row locks)."""
        if not is_postgres:
            import pytest

            pytest.skip("needs PostgreSQL row locks to hold a request between its lookup and its update")
        import asyncpg

        customer, tokens = await registered_customer(client)
        created = await create(client, customer, tokens["accessToken"])
        other = await asyncpg.connect(database_url)
        try:
            holder = other.transaction()
            await holder.start()
            await other.execute("SELECT 1 FROM customers WHERE reference = $1 FOR UPDATE", customer["id"])
            pending = asyncio.create_task(
                patch(
                    client,
                    f"/customers/{customer['id']}/addresses/{created['id']}",
                    document("addresses", {"city": "Late"}),
                    tokens["accessToken"],
                )
            )
            await asyncio.sleep(0.5)  # the PATCH has found the address and now waits for the lock
            assert not pending.done()
            await other.execute("DELETE FROM addresses WHERE id = $1", created["id"])
            await holder.commit()
            response = await pending
        finally:
            await other.close()
        assert response.status_code == 400
        assert response.json()["errors"] == [error(400, "409", "Failed to save customer address.")]


class TestInclude:
    async def test_customer_include_addresses(self, client):
        customer, tokens = await registered_customer(client)
        first = await create(client, customer, tokens["accessToken"])
        second = await create(client, customer, tokens["accessToken"], city="Bonn", isDefaultBilling=False)
        response = await client.get(
            f"/customers/{customer['id']}?include=addresses", headers=bearer(tokens["accessToken"])
        )
        assert response.status_code == 200
        body = response.json()
        assert body["data"]["relationships"] == {
            "addresses": {
                "data": [{"type": "addresses", "id": first["id"]}, {"type": "addresses", "id": second["id"]}]
            }
        }
        assert [item["id"] for item in body["included"]] == [first["id"], second["id"]]
        assert body["included"][0]["links"]["self"].endswith(
            f"/customers/{customer['id']}/addresses/{first['id']}"
        )

    async def test_include_with_sparse_address_fields(self, client):
        customer, tokens = await registered_customer(client)
        await create(client, customer, tokens["accessToken"])
        response = await client.get(
            f"/customers/{customer['id']}?include=addresses&fields[addresses]=city,zipCode&fields[customers]=email,addresses",
            headers=bearer(tokens["accessToken"]),
        )
        body = response.json()
        assert body["data"]["attributes"] == {"email": customer["attributes"]["email"]}
        assert body["included"][0]["attributes"] == {"city": "Berlin", "zipCode": "12312"}

    async def test_include_on_the_collection_and_with_no_addresses(self, client):
        customer, tokens = await registered_customer(client)
        response = await client.get("/customers?include=addresses", headers=bearer(tokens["accessToken"]))
        body = response.json()
        assert body["data"][0]["relationships"] == {"addresses": {"data": []}}
        assert body["included"] == []

    async def test_without_include_there_are_no_relationships(self, client):
        customer, tokens = await registered_customer(client)
        await create(client, customer, tokens["accessToken"])
        body = (
            await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        ).json()
        assert "relationships" not in body["data"] and "included" not in body


class TestAnonymization:
    async def test_anonymizing_deletes_the_addresses(self, client, app):
        from app.tables import addresses

        customer, tokens = await registered_customer(client)
        await create(client, customer, tokens["accessToken"])
        await client.delete(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        count = await app.state.services.db.fetch_one(sa.select(sa.func.count()).select_from(addresses))
        assert count[0] == 0


class TestConcurrentDefaults:
    async def test_defaults_hold_under_concurrent_writes(self, client, app):
        """Fire 60 mixed POST/PATCH/DELETE requests at once, then check the invariant in the database."""
        from app.tables import addresses, customers

        customer, tokens = await registered_customer(client)
        token = tokens["accessToken"]
        seeded = [await create(client, customer, token) for _ in range(4)]
        rng = random.Random(7)
        ids = [item["id"] for item in seeded]

        async def one(index: int):
            action = index % 3
            target = rng.choice(ids)
            flags = {flag: rng.choice([True, False]) for flag in FLAGS}
            if action == 0:
                return await post(
                    client,
                    f"/customers/{customer['id']}/addresses",
                    document("addresses", address(**flags)),
                    headers=bearer(token),
                )
            if action == 1:
                return await patch(
                    client,
                    f"/customers/{customer['id']}/addresses/{target}",
                    document("addresses", {"city": f"City {index}", **flags}),
                    token,
                )
            return await client.delete(
                f"/customers/{customer['id']}/addresses/{target}", headers=bearer(token)
            )

        responses = await asyncio.gather(*(one(index) for index in range(60)))
        assert all(response.status_code in (200, 201, 204, 404, 400) for response in responses)
        assert all(response.status_code < 500 for response in responses)
        db = app.state.services.db
        pointers = await db.fetch_one(
            sa.select(
                customers.c.default_billing_address_id,
                customers.c.default_shipping_address_id,
                customers.c.default_contact_address_id,
            ).where(customers.c.reference == customer["id"])
        )
        existing = {row[0] for row in await db.fetch_all(sa.select(addresses.c.id))}
        shown = defaults(await listing(client, customer, token))
        for pointer, holders in zip((pointers[0], pointers[1], pointers[2]), shown, strict=True):
            assert pointer is None or pointer in existing  # never dangling
            assert holders == ([pointer] if pointer else [])  # exactly the pointer's address shows it
        print(
            f"concurrent address writes: {len(responses)} fired, statuses "
            f"{sorted({r.status_code for r in responses})}, invariant violations: 0"
        )
