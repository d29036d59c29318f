"""BO §2.2: integration clients' CRUD, the secret shown once, rotation and deactivation voiding
tokens at once."""

from __future__ import annotations

from tests.backoffice.helpers import client_token, logged_in_operator
from tests.helpers import JSON_API, bearer, document, error, post

NOT_FOUND = {"errors": [error(404, "1009", "Integration client not found.")]}
UNKNOWN = "/backoffice/integration-clients/00000000-0000-4000-8000-000000000000"


async def _create(client, headers, **attributes):
    body = document("integration-clients", {"name": "ERP", "permissions": ["customers:read"], **attributes})
    return await post(client, "/backoffice/integration-clients", body, headers=headers)


async def test_a_client_is_created_with_a_secret_shown_once(app, client):
    admin = await logged_in_operator(app, client)
    created = await _create(client, admin.headers, stores=["DE"])
    assert created.status_code == 201
    data = created.json()["data"]
    secret = data["attributes"]["clientSecret"]
    assert len(secret) == 43 and created.headers["location"] == data["links"]["self"]
    assert data["attributes"]["stores"] == ["DE"] and data["attributes"]["active"] is True
    read = await client.get(f"/backoffice/integration-clients/{data['id']}", headers=admin.headers)
    assert "clientSecret" not in read.json()["data"]["attributes"]
    assert (await client_token(client, data["id"], secret)).status_code == 200
    listed = await client.get("/backoffice/integration-clients", headers=admin.headers)
    assert [item["id"] for item in listed.json()["data"]] == [data["id"]]


async def test_permissions_outside_the_clients_set_are_901(app, client):
    admin = await logged_in_operator(app, client)
    response = await _create(client, admin.headers, permissions=["operators:write"])
    assert response.json() == {
        "errors": [
            error(
                422,
                "901",
                "permissions => The value you selected is not a valid choice.",
                "/data/attributes/permissions",
            )
        ]
    }


async def test_rotation_voids_the_old_secret_and_its_tokens(app, client):
    admin = await logged_in_operator(app, client)
    data = (await _create(client, admin.headers)).json()["data"]
    old_secret = data["attributes"]["clientSecret"]
    token = (await client_token(client, data["id"], old_secret)).json()["access_token"]
    # A client holding customers:read passes a route that needs none but refuses it operator-only:
    # its token is live (1000), until the rotation makes it 001.
    assert (await client.get("/backoffice/operators", headers=bearer(token))).status_code == 403
    rotated = await client.post(
        f"/backoffice/integration-clients/{data['id']}/rotate-secret", headers=admin.headers
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["data"]["attributes"]["clientSecret"]
    assert new_secret != old_secret
    assert (await client_token(client, data["id"], old_secret)).status_code == 401
    assert (await client_token(client, data["id"], new_secret)).status_code == 200
    assert (await client.get("/backoffice/operators", headers=bearer(token))).json() == {
        "errors": [error(401, "001", "Invalid access token.")]
    }


async def test_a_deactivated_client_gets_no_token_and_its_tokens_stay_void(app, client):
    admin = await logged_in_operator(app, client)
    data = (await _create(client, admin.headers)).json()["data"]
    secret = data["attributes"]["clientSecret"]
    token = (await client_token(client, data["id"], secret)).json()["access_token"]
    path = f"/backoffice/integration-clients/{data['id']}"
    assert (await client.post(f"{path}/deactivate", headers=admin.headers)).status_code == 204
    assert (await client_token(client, data["id"], secret)).json()["error"] == "invalid_client"
    assert (await client.post(f"{path}/activate", headers=admin.headers)).status_code == 204
    assert (await client.get("/backoffice/operators", headers=bearer(token))).status_code == 401
    assert (await client_token(client, data["id"], secret)).status_code == 200


async def test_patch_and_delete(app, client):
    admin = await logged_in_operator(app, client)
    data = (await _create(client, admin.headers)).json()["data"]
    path = f"/backoffice/integration-clients/{data['id']}"
    patched = await client.patch(
        path,
        json=document(
            "integration-clients", {"name": "Warehouse", "permissions": ["commerce:write"]}, data["id"]
        ),
        headers={"Content-Type": JSON_API, **admin.headers},
    )
    assert patched.status_code == 200
    assert patched.json()["data"]["attributes"]["name"] == "Warehouse"
    assert patched.json()["data"]["attributes"]["permissions"] == ["commerce:write"]
    assert (await client.delete(path, headers=admin.headers)).status_code == 204
    assert (await client.get(path, headers=admin.headers)).json() == NOT_FOUND


async def test_an_unknown_client_is_1009_on_every_path(app, client):
    admin = await logged_in_operator(app, client)
    for method, suffix in (
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/activate"),
        ("POST", "/deactivate"),
    ):
        response = await client.request(method, UNKNOWN + suffix, headers=admin.headers)
        assert response.json() == NOT_FOUND, (method, suffix)
