"""One walk through the storefront over a real socket, against a real uvicorn process."""

from __future__ import annotations

import uuid

import httpx

JSON_API = {"Content-Type": "application/vnd.api+json"}


def test_register_login_read_edit_refresh_delete_over_a_socket(live_server):
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    password = "Walk-Through-42"
    with httpx.Client(base_url=live_server, headers=JSON_API, timeout=10) as http:
        created = http.post(
            "/customers",
            json={
                "data": {
                    "type": "customers",
                    "attributes": {
                        "salutation": "Ms",
                        "firstName": "Erika",
                        "lastName": "Muster",
                        "email": email,
                        "password": password,
                        "confirmPassword": password,
                        "acceptedTerms": True,
                    },
                }
            },
        )
        assert created.status_code == 201
        reference = created.json()["data"]["id"]
        assert created.headers["location"] == f"{live_server}/customers/{reference}"

        login = http.post(
            "/access-tokens",
            json={"data": {"type": "access-tokens", "attributes": {"username": email, "password": password}}},
        )
        assert login.status_code == 201
        tokens = login.json()["data"]["attributes"]
        auth = {"Authorization": f"Bearer {tokens['accessToken']}"}

        profile = http.get(f"/customers/{reference}", headers=auth)
        assert profile.status_code == 200 and profile.json()["data"]["attributes"]["email"] == email

        edited = http.patch(
            f"/customers/{reference}",
            headers=auth,
            json={"data": {"type": "customers", "id": reference, "attributes": {"lastName": "Mustermann"}}},
        )
        assert edited.status_code == 200
        assert edited.json()["data"]["attributes"]["lastName"] == "Mustermann"

        refreshed = http.post(
            "/refresh-tokens",
            json={"data": {"type": "refresh-tokens", "attributes": {"refreshToken": tokens["refreshToken"]}}},
        )
        assert refreshed.status_code == 201
        new_auth = {"Authorization": f"Bearer {refreshed.json()['data']['attributes']['accessToken']}"}

        deleted = http.delete(f"/customers/{reference}", headers=new_auth)
        assert deleted.status_code == 204

        gone = http.get(f"/customers/{reference}", headers=new_auth)
        assert gone.status_code == 401 and gone.json()["errors"][0]["code"] == "001"
