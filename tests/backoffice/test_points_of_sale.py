"""Points of sale (BO §4.3): CRUD with every refusal; sellers block a deletion (1026); deleting one
leaves its customers without a POS, each with a CustomerDetailsWereUpdated event."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.backoffice.helpers import OPERATOR_PASSWORD, logged_in_operator
from tests.helpers import document, error, patch, post, register

TAKEN = "Point of sale with this identifier already exists."
NOT_FOUND = {"errors": [error(404, "1024", "Point of sale not found.")]}


def _pos(**overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {"name": "Berlin Mitte", "identifier": "ber-01"}
    attributes.update(overrides)
    return document("pos", {key: value for key, value in attributes.items() if value is not ...})


async def _create(client, headers, **overrides: Any) -> dict[str, Any]:
    response = await post(client, "/backoffice/pos", _pos(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_create_read_list_update_delete(app, client):
    admin = await logged_in_operator(app, client)
    created = await post(client, "/backoffice/pos", _pos(), headers=admin.headers)
    assert created.status_code == 201, created.text
    pos = created.json()["data"]
    assert created.headers["Location"] == f"http://testserver/backoffice/pos/{pos['id']}"
    assert {name: pos["attributes"][name] for name in ("name", "identifier")} == {
        "name": "Berlin Mitte",
        "identifier": "ber-01",
    }
    assert (await client.get(f"/backoffice/pos/{pos['id']}", headers=admin.headers)).json()["data"] == pos
    other = await _create(client, admin.headers, identifier="ham-01", name="Hamburg")
    listed = await client.get("/backoffice/pos?page[limit]=1", headers=admin.headers)
    assert [item["id"] for item in listed.json()["data"]] == [other["id"]]
    rest = await client.get(listed.json()["links"]["next"], headers=admin.headers)
    assert [item["id"] for item in rest.json()["data"]] == [pos["id"]]

    renamed = await patch(
        client,
        f"/backoffice/pos/{pos['id']}",
        document("pos", {"name": "Berlin Ost"}, pos["id"]),
        admin.token,
    )
    assert renamed.status_code == 200
    assert renamed.json()["data"]["attributes"]["name"] == "Berlin Ost"
    assert renamed.json()["data"]["attributes"]["identifier"] == "ber-01"

    assert (await client.delete(f"/backoffice/pos/{pos['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/backoffice/pos/{pos['id']}", headers=admin.headers)).json() == NOT_FOUND


async def test_an_identifier_is_unique_in_any_letter_case(app, client):
    admin = await logged_in_operator(app, client)
    await _create(client, admin.headers)
    taken = await post(client, "/backoffice/pos", _pos(identifier="BER-01"), headers=admin.headers)
    assert taken.status_code == 422
    assert taken.json() == {"errors": [error(422, "1025", TAKEN, "/data/attributes/identifier")]}
    other = await _create(client, admin.headers, identifier="ham-01")
    changed = await patch(
        client, f"/backoffice/pos/{other['id']}", document("pos", {"identifier": "Ber-01"}), admin.token
    )
    assert changed.json() == {"errors": [error(422, "1025", TAKEN, "/data/attributes/identifier")]}
    listed = await client.get("/backoffice/pos", headers=admin.headers)
    assert sorted(item["attributes"]["identifier"] for item in listed.json()["data"]) == ["ber-01", "ham-01"]


async def test_invalid_attributes_are_901_together(app, client):
    admin = await logged_in_operator(app, client)
    response = await post(
        client, "/backoffice/pos", _pos(name="   ", identifier="with space"), headers=admin.headers
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            error(
                422,
                "901",
                "identifier => This value should contain only letters, digits, '_' and '-'.",
                "/data/attributes/identifier",
            ),
            error(422, "901", "name => This value should not be blank.", "/data/attributes/name"),
        ]
    }
    too_long = await post(
        client, "/backoffice/pos", _pos(identifier="x" * 65, name=...), headers=admin.headers
    )
    assert too_long.json() == {
        "errors": [
            error(
                422,
                "901",
                "identifier => This value should have between 1 and 64 characters.",
                "/data/attributes/identifier",
            ),
            error(422, "901", "name => This field is missing.", "/data/attributes/name"),
        ]
    }
    assert (await client.get("/backoffice/pos", headers=admin.headers)).json()["data"] == []


async def test_an_unknown_pos_is_1024_before_the_document(app, client):
    admin = await logged_in_operator(app, client)
    unknown = "/backoffice/pos/00000000-0000-4000-8000-00000000dead"
    assert (await client.get(unknown, headers=admin.headers)).json() == NOT_FOUND
    assert (
        await client.patch(
            unknown, content=b"{", headers={**admin.headers, "Content-Type": "application/vnd.api+json"}
        )
    ).json() == NOT_FOUND
    assert (await client.delete(unknown, headers=admin.headers)).json() == NOT_FOUND


async def test_sellers_block_a_deletion_and_customers_lose_their_pos(app, client):
    admin = await logged_in_operator(app, client)
    pos = await _create(client, admin.headers)
    # A seller can be created through the API now that its point of sale exists.
    seller = await post(
        client,
        "/backoffice/operators",
        document(
            "operators",
            {
                "email": "seller@example.com",
                "password": OPERATOR_PASSWORD,
                "confirmPassword": OPERATOR_PASSWORD,
                "firstName": "Sam",
                "lastName": "Seller",
                "role": "seller",
                "posId": pos["id"],
            },
        ),
        headers=admin.headers,
    )
    assert seller.status_code == 201, seller.text
    served = (await register(client))["id"]
    elsewhere = (await register(client))["id"]
    changed = await patch(
        client, f"/backoffice/customers/{served}", document("customers", {"posId": pos["id"]}), admin.token
    )
    assert changed.status_code == 200, changed.text

    refused = await client.delete(f"/backoffice/pos/{pos['id']}", headers=admin.headers)
    assert refused.status_code == 422
    assert refused.json() == {"errors": [error(422, "1026", "Point of sale has sellers.")]}
    assert (await client.get(f"/backoffice/customers/{served}", headers=admin.headers)).json()["data"][
        "attributes"
    ]["posId"] == pos["id"]

    await client.delete(f"/backoffice/operators/{seller.json()['data']['id']}", headers=admin.headers)
    assert (await client.delete(f"/backoffice/pos/{pos['id']}", headers=admin.headers)).status_code == 204
    shown = await client.get(f"/backoffice/customers/{served}", headers=admin.headers)
    assert shown.json()["data"]["attributes"]["posId"] is None
    history = await client.get(
        f"/backoffice/customers/{served}/history?filter[eventType]=CustomerDetailsWereUpdated",
        headers=admin.headers,
    )
    assert [
        (item["attributes"]["changedFields"], item["attributes"]["values"]) for item in history.json()["data"]
    ] == [(["posId"], {"posId": None}), (["posId"], {"posId": pos["id"]})]
    untouched = await app.state.services.db.fetch_one(
        sa.text("SELECT COUNT(*) FROM customer_events WHERE customer_reference = :reference").bindparams(
            reference=elsewhere
        )
    )
    assert untouched[0] == 1  # its registration only


async def test_sellers_read_but_do_not_write(app, client):
    admin = await logged_in_operator(app, client)
    pos = await _create(client, admin.headers)
    seller = await logged_in_operator(app, client, role="seller", permissions=(), pos_id=pos["id"])
    assert (await client.get(f"/backoffice/pos/{pos['id']}", headers=seller.headers)).status_code == 200
    refused = await post(client, "/backoffice/pos", _pos(identifier="x"), headers=seller.headers)
    assert refused.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}
