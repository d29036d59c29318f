"""BO §3, §3.1, §4.1, §4.2, §4.4: the back-office reads, creates and changes customers by reference,
activates and deactivates them (a deactivated customer's token dies at once) and reads their
history, newest first; every write and every read naming a customer is audited."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app import tables
from app.clock import as_utc
from app.mail.worker import DeliveryWorker
from app.stores import Store
from tests.access_request_helpers import request_row, submission, submit
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import JSON_API, PASSWORD, bearer, document, error, login, post, registered_customer
from tests.mail_helpers import TOKEN, running_app, text_of, token_of, wait_for_files
from tests.order_helpers import instrument_attributes, order_attributes
from tests.storefront.test_avatars import picture

STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("CH", "de_CH", ("de_CH", "fr_CH"), "CHF", "Europe/Zurich"),
)
OWN_POS = "00000000-0000-4000-8000-000000000001"
OTHER_POS = "00000000-0000-4000-8000-000000000002"


def _new(**overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "firstName": "Grace",
        "lastName": "Hopper",
        "email": "grace@example.com",
        "agreement1": True,
    }
    attributes.update(overrides)
    return document("customers", {key: value for key, value in attributes.items() if value is not ...})


async def _create(client, headers, **overrides: Any):
    return await post(client, "/backoffice/customers", _new(**overrides), headers=headers)


async def _patch(client, headers, reference: str, attributes: dict[str, Any]):
    return await client.patch(
        f"/backoffice/customers/{reference}",
        json=document("customers", attributes, reference),
        headers={**headers, "Content-Type": JSON_API},
    )


async def _audit(app) -> list[tuple[str, str | None, str]]:
    rows = await app.state.services.db.fetch_all(
        sa.text("SELECT action, customer_reference, outcome FROM audit_events ORDER BY id")
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def _count(app, table: str) -> int:
    row = await app.state.services.db.fetch_one(sa.text(f"SELECT COUNT(*) FROM {table}"))  # noqa: S608
    return int(row[0])


async def test_create_then_read_by_reference(app, client):
    admin = await logged_in_operator(app, client)
    created = await _create(
        client,
        admin.headers,
        phone="030 1234567",
        loyaltyCardNumber="CARD-1",
        labels=[
            {"key": "tier", "value": "gold"},
            {"key": "tier", "value": "gold"},
            {"key": "vip", "value": ""},
        ],
        posId=OWN_POS,
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    reference = data["id"]
    assert created.headers["Location"] == f"http://testserver/backoffice/customers/{reference}"
    attributes = data["attributes"]
    assert attributes["phone"] == "+49301234567"
    assert attributes["labels"] == [{"key": "tier", "value": "gold"}, {"key": "vip", "value": ""}]
    assert (attributes["store"], attributes["status"], attributes["active"]) == ("DE", "active", True)
    assert (attributes["agreement1"], attributes["posId"], attributes["sellerId"]) == (True, OWN_POS, None)
    assert (attributes["transactionsCount"], attributes["currency"]) == (0, "EUR")
    assert "password" not in attributes

    read = await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert read.status_code == 200, read.text
    assert read.json()["data"]["attributes"] == attributes
    sparse = await client.get(
        f"/backoffice/customers/{reference}?fields[customers]=email,labels&include=addresses",
        headers=admin.headers,
    )
    assert sparse.status_code == 200, sparse.text
    assert sparse.json()["data"]["attributes"] == {
        "email": "grace@example.com",
        "labels": attributes["labels"],
    }
    assert (await _audit(app))[-3:] == [
        ("POST /backoffice/customers", reference, "succeeded"),
        ("GET /backoffice/customers/{reference}", reference, "succeeded"),
        ("GET /backoffice/customers/{reference}", reference, "succeeded"),
    ]


async def test_create_refusals_write_nothing(app, client):
    admin = await logged_in_operator(app, client)
    assert (await _create(client, admin.headers, loyaltyCardNumber="CARD-1")).status_code == 201
    before = await _count(app, "customers")
    for overrides, expected in (
        (
            {"agreement1": False, "email": "x@example.com"},
            error(422, "422", "Terms of service were not accepted."),
        ),
        ({}, error(422, "400", "Customer with this email already exists.")),
        (
            {"email": "y@example.com", "loyaltyCardNumber": "card-1"},
            error(422, "1011", "Customer with this loyalty card number already exists."),
        ),
        (
            {"email": "z@example.com", "store": "XX"},
            error(
                422, "901", "store => The value you selected is not a valid choice.", "/data/attributes/store"
            ),
        ),
        (
            {"email": "w@example.com", "firstName": ...},
            error(422, "901", "firstName => This field is missing.", "/data/attributes/firstName"),
        ),
    ):
        response = await _create(client, admin.headers, **overrides)
        assert response.json() == {"errors": [expected]}, overrides
    assert await _count(app, "customers") == before


async def test_patch_writes_what_is_sent_null_erases_and_required_refuses(app, client):
    admin = await logged_in_operator(app, client)
    reference = (await _create(client, admin.headers, loyaltyCardNumber="CARD-1", phone="+4930999")).json()[
        "data"
    ]["id"]
    changed = await _patch(
        client,
        admin.headers,
        reference,
        {"lastName": "Murray", "loyaltyCardNumber": None, "labels": [{"key": "a", "value": "b"}]},
    )
    assert changed.status_code == 200, changed.text
    attributes = changed.json()["data"]["attributes"]
    assert (attributes["lastName"], attributes["loyaltyCardNumber"], attributes["phone"]) == (
        "Murray",
        None,
        "+4930999",
    )
    assert attributes["labels"] == [{"key": "a", "value": "b"}]
    refused = await _patch(client, admin.headers, reference, {"firstName": None})
    assert refused.json() == {
        "errors": [
            error(422, "901", "firstName => This value should not be blank.", "/data/attributes/firstName")
        ]
    }
    never_false = await _patch(client, admin.headers, reference, {"agreement1": False})
    assert never_false.json() == {"errors": [error(422, "422", "Terms of service were not accepted.")]}

    history = await client.get(f"/backoffice/customers/{reference}/history", headers=admin.headers)
    assert history.status_code == 200, history.text
    events = [item["attributes"] for item in history.json()["data"]]
    assert [event["eventType"] for event in events] == ["CustomerDetailsWereUpdated", "CustomerWasRegistered"]
    assert events[0]["actor"] == {"type": "operator", "id": admin.id}
    assert sorted(events[0]["changedFields"]) == [
        "labels",
        "lastName",
        "locale",
        "loyaltyCardNumber",
    ] or sorted(events[0]["changedFields"]) == ["labels", "lastName", "loyaltyCardNumber"]
    assert events[0]["values"]["lastName"] == "Murray"
    assert events[1]["values"]["channel"] == "backoffice"


async def test_deactivation_kills_the_customers_token_and_activation_restores_login(app, client):
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)
    reference = customer["id"]
    own = await client.get(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
    assert own.status_code == 200

    assert (
        await post(client, f"/backoffice/customers/{reference}/deactivate", None, headers=admin.headers)
    ).status_code == 204
    dead = await client.get(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
    assert dead.json() == {"errors": [error(401, "001", "Invalid access token.")]}
    read = await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert (read.json()["data"]["attributes"]["status"], read.json()["data"]["attributes"]["active"]) == (
        "inactive",
        False,
    )
    events_before = await _count(app, "customer_events")
    again = await post(client, f"/backoffice/customers/{reference}/deactivate", None, headers=admin.headers)
    assert again.status_code == 204 and await _count(app, "customer_events") == events_before

    assert (
        await post(client, f"/backoffice/customers/{reference}/activate", None, headers=admin.headers)
    ).status_code == 204
    login = await post(
        client,
        "/access-tokens",
        document(
            "access-tokens", {"username": customer["attributes"]["email"], "password": customer["password"]}
        ),
    )
    assert login.status_code == 201, login.text
    history = await client.get(
        f"/backoffice/customers/{reference}/history?filter[eventType]=CustomerWasActivated,CustomerWasDeactivated",
        headers=admin.headers,
    )
    events = [item["attributes"] for item in history.json()["data"]]
    assert [(event["eventType"], event["values"]) for event in events] == [
        ("CustomerWasActivated", {"status": "active", "method": "operator"}),
        ("CustomerWasDeactivated", {"status": "inactive"}),
    ]


async def test_history_pages_by_cursor_newest_first(app, client):
    admin = await logged_in_operator(app, client)
    reference = (await _create(client, admin.headers)).json()["data"]["id"]
    for name in ("A", "B", "C"):
        await _patch(client, admin.headers, reference, {"lastName": name})
    first = await client.get(
        f"/backoffice/customers/{reference}/history?page[limit]=2", headers=admin.headers
    )
    assert [item["attributes"]["values"]["lastName"] for item in first.json()["data"]] == ["C", "B"]
    following = await client.get(first.json()["links"]["next"], headers=admin.headers)
    assert [item["attributes"]["eventType"] for item in following.json()["data"]] == [
        "CustomerDetailsWereUpdated",
        "CustomerWasRegistered",
    ]
    assert following.json()["links"]["next"] is None


@pytest.mark.parametrize(
    "event_types", ["Ⱥ", "CustomerWasRegistered,", " CustomerWasRegistered", "A,,B", "Ｃustomer"]
)
async def test_a_history_filter_outside_the_event_type_form_is_011(app, client, event_types):
    admin = await logged_in_operator(app, client)
    reference = (await _create(client, admin.headers)).json()["data"]["id"]
    response = await client.get(
        f"/backoffice/customers/{reference}/history",
        params={"filter[eventType]": event_types},
        headers=admin.headers,
    )
    assert (response.status_code, response.json()) == (
        400,
        {"errors": [error(400, "011", "Invalid query parameter.")]},
    )


async def test_send_activation_email_needs_a_pending_customer(app, client):
    admin = await logged_in_operator(app, client)
    reference = (await _create(client, admin.headers)).json()["data"]["id"]
    response = await post(
        client, f"/backoffice/customers/{reference}/send-activation-email", None, headers=admin.headers
    )
    assert response.json() == {"errors": [error(422, "1013", "Customer is not awaiting activation.")]}


async def test_send_activation_email_mails_a_pending_customer(app_factory):
    async with running_app(app_factory, confirmation_required=True) as (app, client):
        admin = await logged_in_operator(app, client)
        customer = await post(
            client,
            "/customers",
            document(
                "customers",
                {
                    "salutation": "Mr",
                    "firstName": "P",
                    "lastName": "Q",
                    "email": "pending@example.com",
                    "password": "Correct-Horse-7",
                    "confirmPassword": "Correct-Horse-7",
                    "acceptedTerms": True,
                },
            ),
        )
        reference = customer.json()["data"]["id"]
        keys = await _count(app, "registration_keys")
        sent = await post(
            client, f"/backoffice/customers/{reference}/send-activation-email", None, headers=admin.headers
        )
        assert sent.status_code == 204, sent.text
        assert await _count(app, "registration_keys") == keys + 1
        assert (
            await post(client, f"/backoffice/customers/{reference}/activate", None, headers=admin.headers)
        ).status_code == 204
        open_keys = await app.state.services.db.fetch_one(
            sa.text("SELECT COUNT(*) FROM registration_keys WHERE used_at IS NULL")
        )
        assert int(open_keys[0]) == 0


async def test_another_stores_customer_is_unknown(app_factory):
    async with running_app(app_factory, stores=STORES) as (app, client):
        admin = await logged_in_operator(app, client, stores=["DE"])
        everywhere = await logged_in_operator(app, client)
        swiss = await _create(client, everywhere.headers, store="CH")
        reference = swiss.json()["data"]["id"]
        assert reference.startswith("CH--")
        not_found = {"errors": [error(404, "402", "Customer not found.")]}
        assert (
            await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)
        ).json() == not_found
        assert (await _patch(client, admin.headers, reference, {"lastName": "X"})).json() == not_found
        assert (
            await post(client, f"/backoffice/customers/{reference}/deactivate", None, headers=admin.headers)
        ).json() == not_found
        assert (
            await client.get("/backoffice/customers/CH--999", headers=everywhere.headers)
        ).json() == not_found
        assert (await _create(client, admin.headers, store="CH", email="c@example.com")).json()["errors"][0][
            "code"
        ] == "901"


async def test_a_seller_reads_any_customer_and_writes_only_its_own_point_of_sale(app, client):
    admin = await logged_in_operator(app, client)
    seller = await logged_in_operator(app, client, role="seller", permissions=(), pos_id=OWN_POS)
    foreign = (await _create(client, admin.headers, posId=OTHER_POS)).json()["data"]["id"]
    await post(
        client,
        f"/backoffice/customers/{foreign}/addresses",
        document("addresses", ADDRESS),
        headers=admin.headers,
    )
    refused = {"errors": [error(403, "1001", "Customer belongs to another point of sale.")]}
    # BO §2.3: a seller reads any customer (profile, addresses, status, transfers, push tokens, avatar).
    read = await client.get(f"/backoffice/customers/{foreign}", headers=seller.headers)
    assert read.status_code == 200, read.text
    assert read.json()["data"]["attributes"]["posId"] == OTHER_POS
    for tail in ("addresses", "status", "points-transfers", "push-tokens"):
        answer = await client.get(f"/backoffice/customers/{foreign}/{tail}", headers=seller.headers)
        assert answer.status_code == 200, (tail, answer.text)
    assert (
        await client.get(f"/backoffice/customers/{foreign}/avatar", headers=seller.headers)
    ).status_code == 404
    # Each read is audited as any operator's (the avatar's 404 holds no personal data).
    assert [entry for entry in await _audit(app) if entry[1] == foreign and entry[0].startswith("GET")] == [
        (f"GET /backoffice/customers/{{reference}}{tail}", foreign, "succeeded")
        for tail in ("", "/addresses", "/status", "/points-transfers", "/push-tokens")
    ]
    assert (await _patch(client, seller.headers, foreign, {"lastName": "X"})).json() == refused
    assert (await _audit(app))[-1] == ("PATCH /backoffice/customers/{reference}", foreign, "refused")

    own = await _create(client, seller.headers, email="own@example.com", sellerId="someone-else")
    assert own.status_code == 201, own.text
    attributes = own.json()["data"]["attributes"]
    assert (attributes["posId"], attributes["sellerId"]) == (OWN_POS, seller.id)
    moved = await _patch(client, seller.headers, own.json()["data"]["id"], {"posId": OTHER_POS})
    assert moved.json() == refused
    history = await client.get(f"/backoffice/customers/{foreign}/history", headers=seller.headers)
    assert history.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}


async def test_anonymized_customers_refuse_writes(app, client):
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)
    reference = customer["id"]
    await client.delete(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
    refused = {"errors": [error(422, "1012", "The customer is anonymized.")]}
    assert (await _patch(client, admin.headers, reference, {"lastName": "X"})).json() == refused
    assert (
        await post(client, f"/backoffice/customers/{reference}/activate", None, headers=admin.headers)
    ).json() == refused
    read = await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert read.json()["data"]["attributes"]["status"] == "anonymized"


async def test_anonymize_by_an_operator_scrubs_and_ends_sessions_again_204(app, client):
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client, phone="+4930777")
    reference = customer["id"]
    assert (
        await _patch(client, admin.headers, reference, {"labels": [{"key": "vip", "value": "x"}]})
    ).status_code == 200
    anonymized = await post(
        client, f"/backoffice/customers/{reference}/anonymize", None, headers=admin.headers
    )
    assert anonymized.status_code == 204, anonymized.text
    dead = await client.get(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
    assert dead.json() == {"errors": [error(401, "001", "Invalid access token.")]}
    attributes = (await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)).json()[
        "data"
    ]["attributes"]
    assert (attributes["status"], attributes["phone"], attributes["labels"], attributes["lastName"]) == (
        "anonymized",
        None,
        [],
        None,
    )
    events = await _count(app, "customer_events")
    again = await post(client, f"/backoffice/customers/{reference}/anonymize", None, headers=admin.headers)
    assert again.status_code == 204 and await _count(app, "customer_events") == events
    history = await client.get(f"/backoffice/customers/{reference}/history", headers=admin.headers)
    top = history.json()["data"][0]["attributes"]
    assert (top["eventType"], top["actor"]) == ("CustomerWasAnonymized", {"type": "operator", "id": admin.id})


async def test_customer_checks_count_exact_matches_in_the_callers_stores(app, client):
    admin = await logged_in_operator(app, client)
    await _create(client, admin.headers, email="Check@Example.com", phone="+4930555")
    for value, total in (("check@example.com", 1), ("030 555", 1), ("+4930555", 1), ("heck@example.com", 0)):
        response = await client.get(
            "/backoffice/customer-checks", params={"filter[emailOrPhone]": value}, headers=admin.headers
        )
        assert response.json() == {"meta": {"total": total}}, value
    missing = await client.get("/backoffice/customer-checks", headers=admin.headers)
    assert missing.json() == {"errors": [error(400, "011", "Invalid query parameter.")]}
    assert (await _audit(app))[-2] == ("GET /backoffice/customer-checks", None, "succeeded")


async def test_a_sellers_customer_check_counts_any_point_of_sale_within_its_stores(app_factory):
    # BO §2.3: sellers read any customer (search and existence check included); only writes keep to
    # their own point of sale. Stores still bound what anyone sees (§2).
    async with running_app(app_factory, stores=STORES) as (app, client):
        admin = await logged_in_operator(app, client)
        seller = await logged_in_operator(
            app, client, role="seller", permissions=(), pos_id=OWN_POS, stores=["DE"]
        )
        await _create(client, admin.headers, email="foreign@example.com", posId=OTHER_POS)
        await _create(client, admin.headers, email="nowhere@example.com", phone="+4930777")
        await _create(client, admin.headers, email="swiss@example.com", store="CH")

        totals = {}
        for value in ("foreign@example.com", "030 777", "swiss@example.com"):
            response = await client.get(
                "/backoffice/customer-checks", params={"filter[emailOrPhone]": value}, headers=seller.headers
            )
            assert response.status_code == 200, response.text
            totals[value] = response.json()["meta"]["total"]
        entries = await app.state.services.db.fetch_all(
            sa.text(
                "SELECT operator_id, operator_role, outcome FROM audit_events"
                " WHERE action = 'GET /backoffice/customer-checks'"
            )
        )

    assert totals == {"foreign@example.com": 1, "030 777": 1, "swiss@example.com": 0}
    assert [(row[0], row[1], row[2]) for row in entries] == [(seller.id, "seller", "succeeded")] * 3


async def test_erasure_leaves_one_event_and_kills_the_token(app, client):
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)
    reference = customer["id"]
    await _patch(client, admin.headers, reference, {"labels": [{"key": "vip", "value": "x"}]})
    erased = await client.delete(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert erased.status_code == 204, erased.text
    dead = await client.get(f"/customers/{reference}", headers=bearer(tokens["accessToken"]))
    assert dead.json() == {"errors": [error(401, "001", "Invalid access token.")]}
    gone = await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert gone.json() == {"errors": [error(404, "402", "Customer not found.")]}
    for table in ("customers", "sessions", "customer_labels", "refresh_tokens"):
        assert await _count(app, table) == 0, table
    history = await client.get(f"/backoffice/customers/{reference}/history", headers=admin.headers)
    assert history.status_code == 200, history.text
    assert [
        (item["attributes"]["eventType"], item["attributes"]["actor"]) for item in history.json()["data"]
    ] == [("CustomerWasErased", {"type": "operator", "id": admin.id})]
    again = await client.delete(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert again.status_code == 204 and await _count(app, "customer_events") == 1
    assert (await registered_customer(client))[0]["id"] != reference


async def test_data_export_on_both_faces_as_an_attachment(app, client):
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)
    reference = customer["id"]
    await _patch(client, admin.headers, reference, {"labels": [{"key": "vip", "value": "x"}]})
    exported = await client.get(f"/backoffice/customers/{reference}/data-export", headers=admin.headers)
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Disposition"] == f'attachment; filename="{reference}-data-export.json"'
    data = exported.json()["data"]
    assert (data["type"], data["id"]) == ("customer-data-export", reference)
    attributes = data["attributes"]
    assert attributes["customer"]["labels"] == [{"key": "vip", "value": "x"}]
    assert [event["eventType"] for event in attributes["history"]] == [
        "CustomerWasRegistered",
        "CustomerDetailsWereUpdated",
    ]
    assert [session["revokedAt"] for session in attributes["sessions"]] == [None]
    assert [entry["action"] for entry in attributes["auditEvents"]] == [
        "PATCH /backoffice/customers/{reference}",
        "GET /backoffice/customers/{reference}/data-export",
    ]
    assert "hash" not in exported.text.lower() and "digest" not in exported.text.lower()

    own = await client.get(f"/customers/{reference}/data-export", headers=bearer(tokens["accessToken"]))
    assert own.status_code == 200, own.text
    assert own.json()["data"]["attributes"]["customer"]["email"] == customer["attributes"]["email"]
    other, other_tokens = await registered_customer(client)
    refused = await client.get(
        f"/customers/{reference}/data-export", headers=bearer(other_tokens["accessToken"])
    )
    assert refused.json() == {"errors": [error(403, "411", "Unauthorized request.")]}
    anonymous = await client.get(f"/customers/{reference}/data-export")
    assert anonymous.json() == {"errors": [error(403, "002", "Missing access token.")]}
    seller = await logged_in_operator(app, client, role="seller", permissions=())
    assert (
        await client.get(f"/backoffice/customers/{reference}/data-export", headers=seller.headers)
    ).json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}


async def _rows_of(app, table: sa.Table, condition: Any) -> list[dict[str, Any]]:
    found = await app.state.services.db.fetch_all(
        sa.select(table).where(condition).order_by(*table.primary_key)
    )
    return [dict(row._mapping) for row in found]


def _moment(value: Any) -> str:
    return as_utc(value).isoformat()


# The tables with a customer column whose rows the export leaves out, and why.
_NOT_EXPORTED = {
    # BO §4.11: never a key or a code. These rows hold only a key's or code's digest and its times.
    "restore_password_keys": "a mailed restore key's digest",
    "registration_keys": "a mailed registration key's digest",
    "sms_codes": "a texted code's HMAC and its failed tries",
}

# How each other table's rows appear in the export: the export's items for that table, and
# whether an item represents a row. Every item must be some row's (none of another customer's).
_Member = Callable[[dict[str, Any]], list[dict[str, Any]]]
_Matches = Callable[[dict[str, Any], dict[str, Any]], bool]
_EXPORTED: dict[str, tuple[_Member, _Matches]] = {
    "addresses": (
        lambda export: export["addresses"],
        lambda row, item: (
            (item["id"], item["address1"], item["city"]) == (row["id"], row["address1"], row["city"])
        ),
    ),
    "sessions": (
        lambda export: export["sessions"],
        lambda row, item: (
            (item["id"], item["createdAt"], item["expiresAt"])
            == (row["id"], _moment(row["created_at"]), _moment(row["expires_at"]))
        ),
    ),
    "customer_labels": (
        lambda export: export["customer"]["labels"],
        lambda row, item: item == {"key": row["key"], "value": row["value"]},
    ),
    "customer_events": (
        lambda export: export["history"],
        lambda row, item: (
            (item["id"], item["eventType"], item["createdAt"])
            == (str(row["id"]), row["event_type"], _moment(row["created_at"]))
        ),
    ),
    "credential_changes": (
        lambda export: export["pendingCredentialChanges"],
        lambda row, item: (
            item
            == {
                "kind": row["kind"],
                "value": row["value"],
                "createdAt": _moment(row["created_at"]),
                "expiresAt": _moment(row["expires_at"]),
            }
        ),
    ),
    "audit_events": (
        lambda export: export["auditEvents"],
        lambda row, item: (
            item
            == {
                "occurredAt": _moment(row["occurred_at"]),
                "action": row["action"],
                "operatorId": row["operator_id"],
            }
        ),
    ),
    "orders": (
        lambda export: export["orders"],
        lambda row, item: (
            (item["id"], item["status"], item["totals"], item["orderDate"])
            == (
                row["order_number"],
                row["status"],
                {"grandTotal": row["grand_total"], "deliveryCosts": row["delivery_costs"]},
                _moment(row["order_date"]),
            )
        ),
    ),
    "payment_instruments": (
        lambda export: export["paymentInstruments"],
        lambda row, item: (
            (item["id"], item["provider"], item["maskedCardNumber"], item["expirationYear"])
            == (row["id"], row["provider"], row["masked_card_number"], str(row["expiration_year"]))
            and "providerToken" not in item
        ),
    ),
    "customer_avatars": (
        lambda export: [export["avatar"]] if export["avatar"] is not None else [],
        lambda row, item: (
            (item["type"], item["size"], item["width"], item["height"], item["etag"], item["data"])
            == (
                row["content_type"],
                row["size"],
                row["width"],
                row["height"],
                f'"{row["sha256"]}"',
                base64.b64encode(row["bytes"]).decode("ascii"),
            )
        ),
    ),
    "customer_push_tokens": (
        lambda export: export["pushTokens"],
        lambda row, item: (
            item
            == {
                "id": row["id"],
                "token": row["token"],
                "platform": row["platform"],
                "createdAt": _moment(row["created_at"]),
            }
        ),
    ),
    "points_transfers": (
        lambda export: export["pointsTransfers"],
        lambda row, item: (
            (item["id"], item["transferType"], item["points"], item["state"], item["expiresOn"])
            == (
                row["id"],
                row["transfer_type"],
                f"{row['points']:.2f}",
                row["state"],
                row["expires_on"].isoformat() if row["expires_on"] else None,
            )
        ),
    ),
    "customer_import_rows": (
        lambda export: export["importRows"],
        lambda row, item: item == {"importId": row["import_id"], "row": row["row"]},
    ),
    "company_users": (
        lambda export: export["companyUsers"],
        lambda row, item: (
            item
            == {
                "id": row["id"],
                "companyId": row["company_id"],
                "role": row["role"],
                "isActive": bool(row["is_active"]),
                "createdAt": _moment(row["created_at"]),
            }
        ),
    ),
}


def _customer_column(table: sa.Table, customer_id: int, reference: str) -> Any:
    """The rows of ``table`` naming the customer, by its id or its reference."""
    conditions = []
    if "customer_id" in table.c:
        conditions.append(table.c.customer_id == customer_id)
    if "customer_reference" in table.c:
        conditions.append(table.c.customer_reference == reference)
    return sa.or_(*conditions)


async def _seed_every_kind_of_row(app, client, admin) -> tuple[str, dict[str, Any]]:
    """A customer with rows in every table the export covers, each written through the API: created
    by an import, its password set by the restore mail, logged in, then changed on both faces."""
    services = app.state.services
    imported = await client.post(
        "/backoffice/customer-imports",
        content=b"firstName,lastName,email,agreement1\nAda,Lovelace,ada@example.com,true\n",
        headers={**admin.headers, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 202, imported.text
    worker = DeliveryWorker(services.db, services.settings, services.outbox, name="w1", jobs=services.imports)
    await worker.drain()
    rows = await client.get(
        f"/backoffice/customer-imports/{imported.json()['data']['id']}/rows", headers=admin.headers
    )
    reference = rows.json()["data"][0]["attributes"]["customerReference"]
    forgotten = await post(
        client,
        "/customer-forgotten-password",
        document("customer-forgotten-password", {"email": "ada@example.com"}),
    )
    assert forgotten.status_code == 204, forgotten.text
    mail = await services.db.fetch_one(sa.text("SELECT text_body FROM mail_outbox ORDER BY id DESC"))
    restored = await client.patch(
        "/customer-restore-password",
        json=document(
            "customer-restore-password",
            {
                "restorePasswordKey": TOKEN.search(mail[0]).group(1),
                "password": PASSWORD,
                "confirmPassword": PASSWORD,
            },
        ),
        headers={"Content-Type": JSON_API},
    )
    assert restored.status_code == 204, restored.text
    tokens = await login(client, "ada@example.com")
    own = bearer(tokens["accessToken"])
    writes = [
        await _patch(client, admin.headers, reference, {"labels": [{"key": "tier", "value": "gold"}]}),
        await post(
            client,
            f"/backoffice/customers/{reference}/addresses",
            document("addresses", ADDRESS),
            headers=admin.headers,
        ),
        await post(
            client,
            f"/customers/{reference}/push-tokens",
            document("push-tokens", {"token": "fcm:APA91bH-example", "platform": "android"}),
            headers=own,
        ),
        await client.put(
            f"/backoffice/customers/{reference}/avatar",
            content=picture("PNG"),
            headers={**admin.headers, "Content-Type": "image/png"},
        ),
        await post(
            client,
            f"/backoffice/customers/{reference}/points-transfers",
            document(
                "points-transfers", {"transferType": "add", "points": "100.00", "expiresOn": "2099-12-31"}
            ),
            headers=admin.headers,
        ),
        await client.patch(
            f"/customers/{reference}",
            json=document("customers", {"email": "ada.new@example.com"}, reference),
            headers={**own, "Content-Type": JSON_API},
        ),
        await post(
            client,
            "/backoffice/stores/DE/orders",
            document("orders", order_attributes(reference)),
            headers=admin.headers,
        ),
        await post(
            client,
            "/backoffice/stores/DE/payment-instruments",
            document("payment-instruments", instrument_attributes(reference)),
            headers=admin.headers,
        ),
    ]
    assert [response.status_code for response in writes] == [200, 201, 201, 204, 201, 200, 201, 201], [
        response.text for response in writes
    ]
    company = await post(
        client,
        "/backoffice/companies",
        document("companies", {"store": "DE", "name": "ACME GmbH"}),
        headers=admin.headers,
    )
    user = await post(
        client,
        f"/backoffice/companies/{company.json()['data']['id']}/company-users",
        document(
            "company-users",
            {
                "email": "ada@example.com",
                "salutation": "Ms",
                "firstName": "A",
                "lastName": "L",
                "role": "buyer",
            },
        ),
        headers=admin.headers,
    )
    assert user.status_code == 201, user.text
    return reference, own


async def test_the_export_holds_every_row_kept_of_the_customer_in_every_table(app_factory):
    application = app_factory(mail_worker_enabled=False, credential_change_confirmation=True)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            admin = await logged_in_operator(application, client)
            reference, own = await _seed_every_kind_of_row(application, client, admin)
            other, other_tokens = await registered_customer(client)  # its rows must not be in the export
            await post(
                client,
                f"/backoffice/customers/{other['id']}/addresses",
                document("addresses", ADDRESS),
                headers=admin.headers,
            )

            exported = await client.get(
                f"/backoffice/customers/{reference}/data-export", headers=admin.headers
            )
            storefront = await client.get(f"/customers/{reference}/data-export", headers=own)

            assert (exported.status_code, storefront.status_code) == (200, 200), exported.text
            customer_row = (
                await _rows_of(application, tables.customers, tables.customers.c.reference == reference)
            )[0]
            with_customer_column = {
                table.name
                for table in tables.metadata.sorted_tables
                if "customer_id" in table.c or "customer_reference" in table.c
            }
            # A new table naming customers must be exported here, or listed with its reason above.
            assert with_customer_column == set(_EXPORTED) | set(_NOT_EXPORTED), with_customer_column ^ (
                set(_EXPORTED) | set(_NOT_EXPORTED)
            )
            for face, response in (("backoffice", exported), ("storefront", storefront)):
                export = response.json()["data"]["attributes"]
                for name, (member, matches) in _EXPORTED.items():
                    table = tables.metadata.tables[name]
                    rows = await _rows_of(
                        application, table, _customer_column(table, customer_row["id"], reference)
                    )
                    items = member(export)
                    assert rows, f"{name}: no row was seeded"
                    unmatched = [row for row in rows if not any(matches(row, item) for item in items)]
                    assert not unmatched, (face, name, unmatched, items)
                    strays = [item for item in items if not any(matches(row, item) for row in rows)]
                    assert not strays, (face, name, strays)
                customer = export["customer"]
                assert (customer["levelId"], customer["posId"], customer["sellerId"], customer["store"]) == (
                    customer_row["level_id"],
                    customer_row["pos_id"],
                    customer_row["seller_id"],
                    customer_row["store"],
                )
                assert customer["pendingEmail"] == "ada.new@example.com"
                prefix = "/backoffice" if face == "backoffice" else ""
                assert export["avatar"]["url"] == f"http://testserver{prefix}/customers/{reference}/avatar"
                text = response.text.lower()
                assert "digest" not in text and "hash" not in text and "providertoken" not in text
            avatar = await client.get(export["avatar"]["url"], headers=own)
            assert avatar.headers["ETag"] == export["avatar"]["etag"]
            assert base64.b64decode(export["avatar"]["data"]) == avatar.content


ADDRESS = {
    "salutation": "Mr",
    "firstName": "John",
    "lastName": "Doe",
    "address1": "Main Street 1",
    "zipCode": "10115",
    "city": "Berlin",
    "iso2Code": "DE",
}


async def test_addresses_in_the_back_office(app, client):
    admin = await logged_in_operator(app, client)
    reference = (await _create(client, admin.headers)).json()["data"]["id"]
    base = f"/backoffice/customers/{reference}/addresses"
    created = await post(client, base, document("addresses", ADDRESS), headers=admin.headers)
    assert created.status_code == 201, created.text
    address_id = created.json()["data"]["id"]
    assert created.headers["Location"] == f"http://testserver{base}/{address_id}"
    assert created.json()["data"]["attributes"]["isDefaultBilling"] is True
    changed = await client.patch(
        f"{base}/{address_id}",
        json=document("addresses", {"city": "Hamburg"}, address_id),
        headers={**admin.headers, "Content-Type": JSON_API},
    )
    assert changed.json()["data"]["attributes"]["city"] == "Hamburg"
    listed = await client.get(base, headers=admin.headers)
    assert [item["id"] for item in listed.json()["data"]] == [address_id]
    included = await client.get(f"/backoffice/customers/{reference}?include=addresses", headers=admin.headers)
    assert [item["links"]["self"] for item in included.json()["included"]] == [
        f"http://testserver{base}/{address_id}"
    ]
    assert (await client.delete(f"{base}/{address_id}", headers=admin.headers)).status_code == 204
    missing = await client.get(f"{base}/{address_id}", headers=admin.headers)
    assert missing.json() == {"errors": [error(404, "404", "Address was not found.")]}
    history = await client.get(
        f"/backoffice/customers/{reference}/history?page[limit]=3", headers=admin.headers
    )
    assert [item["attributes"]["eventType"] for item in history.json()["data"]] == [
        "CustomerAddressWasRemoved",
        "CustomerAddressWasUpdated",
        "CustomerAddressWasAdded",
    ]
    actions = [action for action, _, _ in await _audit(app)]
    assert actions[-6:] == [
        "POST /backoffice/customers/{reference}/addresses",
        "PATCH /backoffice/customers/{reference}/addresses/{address_id}",
        "GET /backoffice/customers/{reference}/addresses",
        "GET /backoffice/customers/{reference}",
        "DELETE /backoffice/customers/{reference}/addresses/{address_id}",
        "GET /backoffice/customers/{reference}/history",
    ]


async def test_a_seller_reaches_no_address_of_another_point_of_sale(app, client):
    admin = await logged_in_operator(app, client)
    seller = await logged_in_operator(app, client, role="seller", permissions=(), pos_id=OWN_POS)
    foreign = (await _create(client, admin.headers, posId=OTHER_POS)).json()["data"]["id"]
    before = await _count(app, "addresses")
    refused = await post(
        client,
        f"/backoffice/customers/{foreign}/addresses",
        document("addresses", ADDRESS),
        headers=seller.headers,
    )
    assert refused.json() == {"errors": [error(403, "1001", "Customer belongs to another point of sale.")]}
    assert await _count(app, "addresses") == before


# BO §3, §4.2: POST /backoffice/customers with ``invite`` and ``address``.
FIRST_ADDRESS = {"address1": "Main Street 1", "zipCode": "10115", "city": "Berlin", "iso2Code": "de"}
RESTORE_URL = "http://localhost:3000/password/restore"


async def _mail_kinds(app) -> list[str]:
    rows = await app.state.services.db.fetch_all(sa.text("SELECT kind FROM mail_outbox ORDER BY id"))
    return [row[0] for row in rows]


async def test_an_invitation_mails_a_key_that_sets_the_first_password_without_a_notice(app_factory, tmp_path):
    mail = tmp_path / "invitations"
    async with running_app(app_factory, mail_directory=str(mail)) as (app, client):
        admin = await logged_in_operator(app, client)
        created = await _create(
            client, admin.headers, email="invited@example.com", locale="en_US", invite=True
        )
        assert created.status_code == 201, created.text
        reference = created.json()["data"]["id"]
        assert "invite" not in created.json()["data"]["attributes"]
        login = document("access-tokens", {"username": "invited@example.com", "password": "Invited-Horse-7"})
        before = await post(client, "/access-tokens", login)
        [invitation] = await wait_for_files(mail, 1)
        expiry = await app.state.services.db.fetch_one(
            sa.text("SELECT created_at, expires_at FROM restore_password_keys")
        )

        restored = await client.patch(
            "/customer-restore-password",
            json=document(
                "customer-restore-password",
                {
                    "restorePasswordKey": token_of(invitation),
                    "password": "Invited-Horse-7",
                    "confirmPassword": "Invited-Horse-7",
                },
            ),
            headers={"Content-Type": JSON_API},
        )
        after = await post(client, "/access-tokens", login)
        kinds = await _mail_kinds(app)
        audit = await app.state.services.db.fetch_one(
            sa.text("SELECT details FROM audit_events WHERE action = 'POST /backoffice/customers'")
        )

    assert before.json() == {"errors": [error(401, "003", "Failed to authenticate user.")]}
    assert str(invitation["To"]) == "invited@example.com"
    assert str(invitation["Subject"]) == "Your new customer account"
    assert f"{RESTORE_URL}?token=" in text_of(invitation) and "within 7 days" in text_of(invitation)
    created_at, expires_at = (
        moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
        for moment in (expiry[0], expiry[1])
    )
    assert (expires_at - created_at).total_seconds() == 604800
    assert restored.status_code == 204, restored.text
    assert after.status_code == 201, after.text
    assert kinds == ["invitation"]  # no "password changed" notice for a first password
    assert "invite" in str(audit[0]) and reference


async def test_without_invite_nothing_is_mailed(app, client):
    admin = await logged_in_operator(app, client)
    created = await _create(client, admin.headers, invite=False)
    assert created.status_code == 201
    assert await _mail_kinds(app) == []
    assert await _count(app, "restore_password_keys") == 0


async def test_a_first_address_takes_the_customers_salutation_and_names_and_is_every_default(app, client):
    admin = await logged_in_operator(app, client)
    created = await _create(
        client,
        admin.headers,
        salutation="Ms",
        address={**FIRST_ADDRESS, "firstName": "Someone", "isDefaultBilling": False, "company": "ACME"},
    )
    assert created.status_code == 201, created.text
    reference = created.json()["data"]["id"]

    read = await client.get(f"/backoffice/customers/{reference}?include=addresses", headers=admin.headers)
    history = await client.get(f"/backoffice/customers/{reference}/history", headers=admin.headers)

    [address] = read.json()["included"]
    attributes = address["attributes"]
    assert (attributes["salutation"], attributes["firstName"], attributes["lastName"]) == (
        "Ms",
        "Grace",
        "Hopper",
    )
    assert (attributes["iso2Code"], attributes["company"], attributes["zipCode"]) == ("DE", "ACME", "10115")
    assert (
        attributes["isDefaultBilling"],
        attributes["isDefaultShipping"],
        attributes["isDefaultContact"],
    ) == (
        True,
        True,
        True,
    )
    events = [event["attributes"]["eventType"] for event in history.json()["data"]]
    assert events == ["CustomerAddressWasAdded", "CustomerWasRegistered"]
    added = history.json()["data"][0]["attributes"]
    assert added["actor"] == {"type": "operator", "id": admin.id}


async def test_a_bad_first_address_or_one_without_salutation_is_901_and_writes_nothing(app, client):
    admin = await logged_in_operator(app, client)
    customers = await _count(app, "customers")

    bad = await _create(
        client,
        admin.headers,
        salutation="Mr",
        address={"address1": "Main Street 1", "city": "", "iso2Code": "XX"},
    )
    not_an_object = await _create(client, admin.headers, salutation="Mr", address="Main Street 1")
    unnamed = await _create(client, admin.headers, address=FIRST_ADDRESS)

    assert bad.status_code == 422
    assert bad.json() == {
        "errors": [
            error(
                422, "901", "address.city => This value should not be blank.", "/data/attributes/address/city"
            ),
            error(
                422,
                "901",
                "address.iso2Code => This value is not a valid country.",
                "/data/attributes/address/iso2Code",
            ),
            error(
                422, "901", "address.zipCode => This field is missing.", "/data/attributes/address/zipCode"
            ),
        ]
    }
    assert not_an_object.json() == {
        "errors": [
            error(422, "901", "address => This value should be of type object.", "/data/attributes/address")
        ]
    }
    assert unnamed.json() == {
        "errors": [error(422, "901", "salutation => This field is missing.", "/data/attributes/salutation")]
    }
    assert await _count(app, "customers") == customers
    assert await _count(app, "addresses") == 0


async def test_patch_checks_and_ignores_invite_and_address(app, client):
    admin = await logged_in_operator(app, client)
    reference = (await _create(client, admin.headers)).json()["data"]["id"]

    patched = await _patch(client, admin.headers, reference, {"invite": True, "address": FIRST_ADDRESS})

    assert patched.status_code == 200, patched.text
    assert await _mail_kinds(app) == []
    assert await _count(app, "addresses") == 0
    malformed = await _patch(client, admin.headers, reference, {"invite": "yes", "address": "Main Street 1"})
    assert malformed.json() == {
        "errors": [
            error(422, "901", "address => This value should be of type object.", "/data/attributes/address"),
            error(422, "901", "invite => This value should be of type bool.", "/data/attributes/invite"),
        ]
    }


async def test_the_export_holds_the_access_requests_of_the_customers_email_in_its_store(app, client):
    """CB §1: the export's ``accessRequests``, in back-office attributes with store and history,
    the customer's e-mail only (another e-mail's request stays out), never a password or its hash."""
    admin = await logged_in_operator(app, client)
    customer, tokens = await registered_customer(client)
    reference, email = customer["id"], customer["attributes"]["email"]
    for address in (email, "someone-else@example.com"):
        submitted = await submit(client, submission(email=address))
        assert submitted.status_code == 204, submitted.text

    exported = await client.get(f"/backoffice/customers/{reference}/data-export", headers=admin.headers)

    assert exported.status_code == 200, exported.text
    (found,) = exported.json()["data"]["attributes"]["accessRequests"]
    row = await request_row(app, email)
    assert (found["id"], found["email"], found["state"], found["store"]) == (
        row["id"],
        email,
        "unconfirmed",
        "DE",
    )
    assert [event["eventType"] for event in found["history"]] == ["AccessRequestWasSubmitted"]
    assert not any("password" in name.lower() for name in found)
    own = await client.get(f"/customers/{reference}/data-export", headers=bearer(tokens["accessToken"]))
    assert own.json()["data"]["attributes"]["accessRequests"] == [found]
