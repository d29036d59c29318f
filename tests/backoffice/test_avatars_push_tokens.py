"""BO §4.8, §4.9: operators upload, read and remove a customer's avatar and list its push tokens.
Each write is one transaction with its history event and its audit entry; reads are audited; a
refusal (unknown customer, another point of sale, anonymized) reads no body and stores nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from tests.backoffice.helpers import logged_in_operator
from tests.helpers import JSON_API, bearer, document, error, post, registered_customer
from tests.storefront.test_avatars import assert_no_metadata, picture, stored_avatars

NOT_AN_IMAGE = error(422, "1040", "The file is not a JPEG, PNG or WebP image.")
NO_AVATAR = error(404, "1042", "Avatar not found.")
NOT_FOUND = error(404, "402", "Customer not found.")
ANONYMIZED = error(422, "1012", "The customer is anonymized.")
OTHER_POS = error(403, "1001", "Customer belongs to another point of sale.")
UNSUPPORTED = error(415, "012", "Unsupported media type.")
SELLER_POS = "00000000-0000-4000-8000-000000000001"


async def _events(app, reference: str) -> list[tuple[str, str, str]]:
    rows = await app.state.services.db.fetch_all(
        sa.text(
            "SELECT event_type, actor_type, actor_id FROM customer_events"
            " WHERE customer_reference = :r ORDER BY id"
        ).bindparams(r=reference)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def _audit(app) -> list[tuple[str, str | None, str]]:
    rows = await app.state.services.db.fetch_all(
        sa.text("SELECT action, customer_reference, outcome FROM audit_events ORDER BY id")
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def test_operator_puts_reads_and_deletes_an_avatar(app, client):
    admin = await logged_in_operator(app, client)
    customer, _ = await registered_customer(client)
    reference = customer["id"]
    path = f"/backoffice/customers/{reference}/avatar"

    put = await client.put(
        path, content=picture("PNG"), headers={**admin.headers, "Content-Type": "image/png"}
    )
    assert put.status_code == 204, put.text
    got = await client.get(path, headers={**admin.headers, "Accept": "image/*"})
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/png"
    assert got.headers["cache-control"] == "private, no-cache"
    assert got.headers["content-security-policy"] == "default-src 'none'"
    image = Image.open(io.BytesIO(got.content))
    assert image.size == (60, 40)
    assert_no_metadata(image)
    again = await client.get(path, headers={**admin.headers, "If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
    profile = await client.get(f"/backoffice/customers/{reference}", headers=admin.headers)
    assert profile.json()["data"]["attributes"]["hasAvatar"] is True

    deleted = await client.delete(path, headers=admin.headers)
    assert deleted.status_code == 204
    assert await stored_avatars(app) == []
    gone = await client.get(path, headers=admin.headers)
    assert gone.status_code == 404
    assert gone.json() == {"errors": [NO_AVATAR]}
    assert (await client.delete(path, headers=admin.headers)).status_code == 204

    events = [event for event in await _events(app, reference) if event[0].startswith("Avatar")]
    assert events == [("AvatarWasSet", "operator", admin.id), ("AvatarWasRemoved", "operator", admin.id)]
    template = "/backoffice/customers/{reference}/avatar"
    audited = [entry for entry in await _audit(app) if entry[0].endswith(template)]
    # The 304 is a read too; the 404 read nothing, the second DELETE removed nothing.
    assert audited == [
        (f"PUT {template}", reference, "succeeded"),
        (f"GET {template}", reference, "succeeded"),
        (f"GET {template}", reference, "succeeded"),
        (f"DELETE {template}", reference, "succeeded"),
    ]


async def test_a_text_file_is_refused_and_nothing_is_stored(app, client):
    admin = await logged_in_operator(app, client)
    customer, _ = await registered_customer(client)
    response = await client.put(
        f"/backoffice/customers/{customer['id']}/avatar",
        content=b"not an image at all",
        headers={**admin.headers, "Content-Type": "image/jpeg"},
    )
    assert response.status_code == 422
    assert response.json() == {"errors": [NOT_AN_IMAGE]}
    assert await stored_avatars(app) == []
    assert [event for event in await _events(app, customer["id"]) if event[0].startswith("Avatar")] == []


async def test_a_json_body_is_refused_with_415(app, client):
    admin = await logged_in_operator(app, client)
    customer, _ = await registered_customer(client)
    response = await client.put(
        f"/backoffice/customers/{customer['id']}/avatar",
        content=b"{}",
        headers={**admin.headers, "Content-Type": JSON_API},
    )
    assert response.status_code == 415
    assert response.json() == {"errors": [UNSUPPORTED]}


async def test_unknown_and_anonymized_customers_are_refused_before_the_body(app, client):
    admin = await logged_in_operator(app, client)
    unknown = await client.put(
        "/backoffice/customers/DE--999999/avatar",
        content=picture("JPEG"),
        headers={**admin.headers, "Content-Type": "image/jpeg"},
    )
    assert unknown.status_code == 404
    assert unknown.json() == {"errors": [NOT_FOUND]}
    customer, _ = await registered_customer(client)
    reference = customer["id"]
    anonymized = await client.post(f"/backoffice/customers/{reference}/anonymize", headers=admin.headers)
    assert anonymized.status_code == 204
    for method in ("PUT", "DELETE"):
        response = await client.request(
            method,
            f"/backoffice/customers/{reference}/avatar",
            content=picture("JPEG") if method == "PUT" else None,
            headers={**admin.headers, **({"Content-Type": "image/jpeg"} if method == "PUT" else {})},
        )
        assert response.status_code == 422, method
        assert response.json() == {"errors": [ANONYMIZED]}
    assert await stored_avatars(app) == []


async def test_a_seller_is_refused_another_point_of_sales_customer(app, client):
    seller = await logged_in_operator(app, client, role="seller", permissions=())
    customer, _ = await registered_customer(client)
    await app.state.services.db.execute(
        sa.text("UPDATE customers SET pos_id = :pos WHERE reference = :r").bindparams(
            pos="00000000-0000-4000-8000-000000000009", r=customer["id"]
        )
    )
    response = await client.put(
        f"/backoffice/customers/{customer['id']}/avatar",
        content=picture("JPEG"),
        headers={**seller.headers, "Content-Type": "image/jpeg"},
    )
    assert response.status_code == 403
    assert response.json() == {"errors": [OTHER_POS]}
    assert await stored_avatars(app) == []


async def test_the_storefront_upload_writes_its_history_event(app, client):
    customer, tokens = await registered_customer(client)
    response = await client.put(
        f"/customers/{customer['id']}/avatar",
        content=picture("WEBP"),
        headers={**bearer(tokens["accessToken"]), "Content-Type": "image/webp"},
    )
    assert response.status_code == 204
    events = [event for event in await _events(app, customer["id"]) if event[0].startswith("Avatar")]
    assert events == [("AvatarWasSet", "customer", customer["id"])]


async def test_operator_lists_a_customers_push_tokens(app, client):
    admin = await logged_in_operator(app, client, permissions=("customers:read",))
    customer, tokens = await registered_customer(client)
    reference = customer["id"]
    for token, platform in (("fcm:first", "android"), ("apns:second", "ios")):
        created = await post(
            client,
            f"/customers/{reference}/push-tokens",
            document("push-tokens", {"token": token, "platform": platform}),
            headers=bearer(tokens["accessToken"]),
        )
        assert created.status_code == 201, created.text

    response = await client.get(f"/backoffice/customers/{reference}/push-tokens", headers=admin.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["attributes"]["token"] for item in body["data"]] == ["fcm:first", "apns:second"]
    assert [item["attributes"]["platform"] for item in body["data"]] == ["android", "ios"]
    assert body["links"]["self"].endswith(f"/backoffice/customers/{reference}/push-tokens")
    assert (
        "GET /backoffice/customers/{reference}/push-tokens",
        reference,
        "succeeded",
    ) in await _audit(app)


async def test_push_tokens_of_an_unknown_customer_answer_402(app, client):
    admin = await logged_in_operator(app, client, permissions=("customers:read",))
    response = await client.get("/backoffice/customers/DE--424242/push-tokens", headers=admin.headers)
    assert response.status_code == 404
    assert response.json() == {"errors": [NOT_FOUND]}
