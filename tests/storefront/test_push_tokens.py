"""Push tokens at the HTTP level (backoffice-api §4.9, storefront rows): the owner lists, adds and
deletes their devices' tokens; a token belongs to one customer at a time; the oldest go first."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import sqlalchemy as sa

from app.tables import customer_push_tokens
from tests.helpers import bearer, document, error, post, registered_customer

UNAUTHORIZED = error(403, "411", "Unauthorized request.")
MISSING_TOKEN = error(403, "002", "Missing access token.")
NOT_FOUND = error(404, "1043", "Push token not found.")
TOKEN = "fcm:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"


async def create(client, customer, access_token, token=TOKEN, platform="android"):
    attributes = {"token": token} if platform is ... else {"token": token, "platform": platform}
    return await post(
        client,
        f"/customers/{customer['id']}/push-tokens",
        document("push-tokens", attributes),
        headers=bearer(access_token),
    )


async def listed(client, customer, access_token) -> list[dict]:
    response = await client.get(f"/customers/{customer['id']}/push-tokens", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    data: list[dict] = response.json()["data"]
    return data


async def stored(app) -> list[dict]:
    rows = await app.state.services.db.fetch_all(sa.select(customer_push_tokens))
    return [dict(row._mapping) for row in rows]


async def test_create_then_list(client):
    customer, tokens = await registered_customer(client)
    access = tokens["accessToken"]
    response = await create(client, customer, access)
    assert response.status_code == 201, response.text
    body = response.json()
    data = body["data"]
    assert data["type"] == "push-tokens"
    assert uuid.UUID(data["id"]).version == 4
    assert set(data["attributes"]) == {"token", "platform", "createdAt"}
    assert (data["attributes"]["token"], data["attributes"]["platform"]) == (TOKEN, "android")

    response = await client.get(f"/customers/{customer['id']}/push-tokens", headers=bearer(access))
    assert response.json() == {
        "data": [data],
        "links": {"self": f"http://testserver/customers/{customer['id']}/push-tokens"},
    }


@pytest.mark.parametrize("platform", ["android", "ios", "web", None, ...])
async def test_platform_values(client, platform):
    customer, tokens = await registered_customer(client)
    response = await create(client, customer, tokens["accessToken"], platform=platform)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["platform"] == (None if platform is ... else platform)


@pytest.mark.parametrize(
    ("attributes", "pointer", "message"),
    [
        (
            {"token": TOKEN, "platform": "windows"},
            "platform",
            "The value you selected is not a valid choice.",
        ),
        ({"token": TOKEN, "platform": ""}, "platform", "This value should not be blank."),
        ({"platform": "ios"}, "token", "This field is missing."),
        ({"token": ""}, "token", "This value should have between 1 and 4096 characters."),
        ({"token": "x" * 4097}, "token", "This value should have between 1 and 4096 characters."),
        *(
            (
                {"token": token},
                "token",
                "This value should contain printable ASCII characters without spaces only.",
            )
            for token in ("has space", "tab\there", "ünïcode", "new\nline")
        ),
        ({"token": 42}, "token", "This value should be of type string."),
    ],
)
async def test_invalid_attributes_are_refused_with_901(client, app, attributes, pointer, message):
    customer, tokens = await registered_customer(client)
    response = await post(
        client,
        f"/customers/{customer['id']}/push-tokens",
        document("push-tokens", attributes),
        headers=bearer(tokens["accessToken"]),
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": [error(422, "901", f"{pointer} => {message}", f"/data/attributes/{pointer}")]
    }
    assert await stored(app) == []


async def test_the_longest_token_and_every_printable_character_are_accepted(client):
    customer, tokens = await registered_customer(client)
    printable = "".join(chr(code) for code in range(0x21, 0x7F))
    for token in ("x" * 4096, printable, "a"):
        response = await create(client, customer, tokens["accessToken"], token=token)
        assert response.status_code == 201, response.text
        assert response.json()["data"]["attributes"]["token"] == token


async def test_posting_a_token_again_answers_201_with_the_same_row(client, app):
    customer, tokens = await registered_customer(client)
    access = tokens["accessToken"]
    first = (await create(client, customer, access)).json()["data"]
    again = await create(client, customer, access, platform="web")
    assert again.status_code == 201
    data = again.json()["data"]
    assert data["id"] == first["id"]
    assert data["attributes"]["createdAt"] == first["attributes"]["createdAt"]
    assert data["attributes"]["platform"] == "web"
    assert len(await stored(app)) == 1
    assert [item["attributes"]["platform"] for item in await listed(client, customer, access)] == ["web"]


async def test_a_token_another_customer_had_moves(client, app):
    former, former_tokens = await registered_customer(client)
    current, current_tokens = await registered_customer(client)
    before = (await create(client, former, former_tokens["accessToken"])).json()["data"]
    moved = await create(client, current, current_tokens["accessToken"], platform="ios")
    assert moved.status_code == 201
    assert moved.json()["data"]["id"] != before["id"]
    assert await listed(client, former, former_tokens["accessToken"]) == []
    assert [
        item["attributes"]["token"] for item in await listed(client, current, current_tokens["accessToken"])
    ] == [TOKEN]
    assert len(await stored(app)) == 1
    # The former owner's id names nothing now.
    response = await client.delete(
        f"/customers/{former['id']}/push-tokens/{before['id']}", headers=bearer(former_tokens["accessToken"])
    )
    assert (response.status_code, response.json()) == (404, {"errors": [NOT_FOUND]})


async def test_beyond_the_limit_the_oldest_goes(app_factory):
    app = app_factory(push_tokens_per_customer=3)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        customer, tokens = await registered_customer(client)
        access = tokens["accessToken"]
        for number in range(1, 6):
            assert (await create(client, customer, access, token=f"device-{number}")).status_code == 201
        remaining = [item["attributes"]["token"] for item in await listed(client, customer, access)]
        assert remaining == ["device-3", "device-4", "device-5"]
        # Posting one it has again drops nothing.
        assert (await create(client, customer, access, token="device-3")).status_code == 201
        remaining = [item["attributes"]["token"] for item in await listed(client, customer, access)]
        assert remaining == ["device-3", "device-4", "device-5"]


async def test_delete_own_token(client, app):
    customer, tokens = await registered_customer(client)
    access = tokens["accessToken"]
    created = (await create(client, customer, access)).json()["data"]
    response = await client.delete(
        f"/customers/{customer['id']}/push-tokens/{created['id']}", headers=bearer(access)
    )
    assert response.status_code == 204
    assert await stored(app) == []


@pytest.mark.parametrize("token_id", ["8a7d366e-d0a8-4c56-bc4b-bbd971f5bb37", "not-a-uuid", "%00"])
async def test_delete_unknown_token_is_1043(client, token_id):
    customer, tokens = await registered_customer(client)
    response = await client.delete(
        f"/customers/{customer['id']}/push-tokens/{token_id}", headers=bearer(tokens["accessToken"])
    )
    assert (response.status_code, response.json()) == (404, {"errors": [NOT_FOUND]})


async def test_delete_another_customers_token_through_ones_own_path_is_1043(client, app):
    owner, owner_tokens = await registered_customer(client)
    other, other_tokens = await registered_customer(client)
    created = (await create(client, owner, owner_tokens["accessToken"])).json()["data"]
    response = await client.delete(
        f"/customers/{other['id']}/push-tokens/{created['id']}", headers=bearer(other_tokens["accessToken"])
    )
    assert (response.status_code, response.json()) == (404, {"errors": [NOT_FOUND]})
    assert len(await stored(app)) == 1


async def test_another_customers_push_tokens_are_refused_with_411(client, app):
    owner, owner_tokens = await registered_customer(client)
    _, other_tokens = await registered_customer(client)
    created = (await create(client, owner, owner_tokens["accessToken"])).json()["data"]
    other = other_tokens["accessToken"]
    base = f"/customers/{owner['id']}/push-tokens"
    for response in (
        await client.get(base, headers=bearer(other)),
        await create(client, owner, other, token="intruder"),
        await client.delete(f"{base}/{created['id']}", headers=bearer(other)),
    ):
        assert (response.status_code, response.json()) == (403, {"errors": [UNAUTHORIZED]})
    assert [row["token"] for row in await stored(app)] == [TOKEN]


async def test_without_a_token_every_method_is_refused_with_002(client):
    customer, _ = await registered_customer(client)
    base = f"/customers/{customer['id']}/push-tokens"
    for response in (
        await client.get(base),
        await post(client, base, document("push-tokens", {"token": TOKEN})),
        await client.delete(f"{base}/{uuid.uuid4()}"),
    ):
        assert (response.status_code, response.json()) == (403, {"errors": [MISSING_TOKEN]})


async def test_anonymizing_the_customer_drops_the_push_tokens(client, app):
    customer, tokens = await registered_customer(client)
    access = tokens["accessToken"]
    assert (await create(client, customer, access)).status_code == 201
    assert (await client.delete(f"/customers/{customer['id']}", headers=bearer(access))).status_code == 204
    assert await stored(app) == []


async def test_concurrent_posts_keep_the_limit_and_one_owner(app_factory):
    app = app_factory(push_tokens_per_customer=3)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
    ):
        first, first_tokens = await registered_customer(client)
        second, second_tokens = await registered_customer(client)
        responses = await asyncio.gather(
            *(create(client, first, first_tokens["accessToken"], token=f"device-{n}") for n in range(6)),
            create(client, first, first_tokens["accessToken"], token="shared"),
            create(client, second, second_tokens["accessToken"], token="shared"),
        )
        assert [response.status_code for response in responses] == [201] * 8
        rows = await stored(app)
        # "shared" has one owner at most: the first customer's later posts may evict it again
        assert sum(row["token"] == "shared" for row in rows) <= 1
        assert len({row["token"] for row in rows}) == len(rows)
        by_customer: dict[int, list[dict]] = {}
        for row in rows:
            by_customer.setdefault(row["customer_id"], []).append(row)
        assert all(len(tokens) <= 3 for tokens in by_customer.values())
