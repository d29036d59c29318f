"""BO §2, §2.2, §4.10: operator login, refresh, revocation; the token endpoint's three grants."""

from __future__ import annotations

import base64
import json

from tests.backoffice.helpers import (
    OPERATOR_PASSWORD,
    client_token,
    logged_in_operator,
    operator_login,
    seed_client,
    seed_operator,
)
from tests.helpers import bearer, document, error, post

AUTHENTICATION_FAILED = {"errors": [error(401, "003", "Failed to authenticate user.")]}


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def test_an_operator_logs_in_with_a_token_for_the_back_office_naming_role_and_permissions(app, client):
    operator = await logged_in_operator(app, client, permissions=("customers:read", "operators:write"))
    claims = _claims(operator.token)
    assert claims["sub"] == operator.id
    assert claims["aud"] == "glue-backoffice"
    assert claims["scope"] == "admin customers:read operators:write"
    assert claims["exp"] - claims["iat"] == 900  # type: ignore[operator]
    listed = await client.get("/backoffice/operators", headers=operator.headers)
    assert listed.status_code == 200
    assert listed.json()["data"][0]["attributes"]["lastLoginAt"] is not None


async def test_wrong_password_unknown_email_and_inactive_operator_are_all_003(app, client):
    admin = await logged_in_operator(app, client)
    other_id, other_email = await seed_operator(app)
    await client.post(f"/backoffice/operators/{other_id}/deactivate", headers=admin.headers)

    for email, password in (
        (admin.email, "Wrong-Password-123"),
        ("nobody@example.com", OPERATOR_PASSWORD),
        (other_email, OPERATOR_PASSWORD),
    ):
        response = await operator_login(client, email, password)
        assert response.status_code == 401
        assert response.json() == AUTHENTICATION_FAILED


async def test_a_customer_cannot_log_in_to_the_back_office(app, client):
    from tests.helpers import register

    customer = await register(client)
    response = await operator_login(client, customer["attributes"]["email"], customer["password"])
    assert response.json() == AUTHENTICATION_FAILED


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(app, client):
    operator = await logged_in_operator(app, client)
    body = document("refresh-tokens", {"refreshToken": operator.refresh_token})
    first = await post(client, "/backoffice/refresh-tokens", body)
    assert first.status_code == 201
    assert first.json()["data"]["links"]["self"] == "http://testserver/backoffice/refresh-tokens"
    again = await post(client, "/backoffice/refresh-tokens", body)
    assert again.json() == {"errors": [error(401, "004", "Failed to refresh token.")]}
    fresh = first.json()["data"]["attributes"]["accessToken"]
    assert (await client.get("/backoffice/operators", headers=bearer(fresh))).status_code == 401


async def test_delete_refresh_tokens_mine_ends_every_session(app, client):
    operator = await logged_in_operator(app, client)
    response = await client.delete("/backoffice/refresh-tokens/mine", headers=operator.headers)
    assert response.status_code == 204
    after = await client.get("/backoffice/operators", headers=operator.headers)
    assert after.json() == {"errors": [error(401, "001", "Invalid access token.")]}


async def test_the_password_grant_answers_an_oauth_token_with_the_scope(app, client):
    _, email = await seed_operator(app, permissions=("customers:read",))
    response = await client.post(
        "/backoffice/token", data={"grant_type": "password", "username": email, "password": OPERATOR_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "admin customers:read"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and body["refresh_token"]
    wrong = await client.post(
        "/backoffice/token", data={"grant_type": "password", "username": email, "password": "nope-nope-nope"}
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    refreshed = await client.post(
        "/backoffice/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_client_credentials_by_basic_or_form_with_scope_narrowing(app, client):
    client_id, secret = await seed_client(app, ("customers:read", "commerce:write"))

    basic = await client_token(client, client_id, secret)
    assert basic.status_code == 200
    assert basic.json()["scope"] == "customers:read commerce:write"
    assert "refresh_token" not in basic.json()
    assert _claims(basic.json()["access_token"])["scope"] == "client customers:read commerce:write"

    form = await client.post(
        "/backoffice/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "commerce:write",
        },
    )
    assert form.status_code == 200 and form.json()["scope"] == "commerce:write"

    beyond = await client_token(client, client_id, secret, scope="operators:write")
    assert beyond.status_code == 400 and beyond.json()["error"] == "invalid_scope"


async def test_a_wrong_secret_or_unknown_client_is_invalid_client_with_www_authenticate(app, client):
    client_id, _ = await seed_client(app)
    for identifier, secret in ((client_id, "wrong"), ("00000000-0000-4000-8000-00000000dead", "wrong")):
        response = await client_token(client, identifier, secret)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_a_client_token_is_refused_on_operator_only_paths_with_1000(app, client):
    client_id, secret = await seed_client(app)
    token = (await client_token(client, client_id, secret)).json()["access_token"]
    response = await client.get("/backoffice/operators", headers=bearer(token))
    assert response.status_code == 403
    assert response.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}


async def test_revoking_an_operator_access_token_ends_its_session(app, client):
    operator = await logged_in_operator(app, client)
    response = await client.post("/backoffice/token/revoke", data={"token": operator.token})
    assert response.status_code == 200
    assert (await client.get("/backoffice/operators", headers=operator.headers)).status_code == 401


async def test_failed_operator_logins_are_limited_per_operator_apart_from_customers(app_factory):
    import httpx

    app = app_factory(login_limit_per_account=2)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            _, email = await seed_operator(app)
            for _ in range(2):
                assert (await operator_login(client, email, "Wrong-Password-123")).status_code == 401
            limited = await operator_login(client, email, OPERATOR_PASSWORD)
            assert limited.status_code == 429
            assert limited.json()["errors"][0]["code"] == "4401"
            assert int(limited.headers["retry-after"]) > 0
            # The same e-mail as a customer's login account is another key.
            customer = await post(
                client, "/access-tokens", document("access-tokens", {"username": email, "password": "x"})
            )
            assert customer.status_code == 401
