"""Tokens and sessions at the HTTP level: spec §6."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import replace
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
import yaml
from joserfc import jwt
from joserfc.jwk import KeySet

from app.main import create_app
from app.settings import Settings, SettingsError
from tests.conftest import empty_tables
from tests.helpers import bearer, document, error, login, post, register, registered_customer
from tests.servers import PROJECT


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def _refresh(client, refresh_token: str):
    return await post(client, "/refresh-tokens", document("refresh-tokens", {"refreshToken": refresh_token}))


async def _form(client, path: str, data: dict, **kwargs):
    return await client.post(path, data=data, **kwargs)


class TestAccessTokens:
    async def test_login_returns_tokens_resource_with_session_id(self, client):
        customer = await register(client)
        response = await post(
            client,
            "/access-tokens",
            document(
                "access-tokens",
                {"username": customer["attributes"]["email"], "password": customer["password"]},
            ),
        )
        assert response.status_code == 201
        assert response.headers["cache-control"] == "no-store"
        data = response.json()["data"]
        assert data["type"] == "access-tokens" and isinstance(data["id"], str) and data["id"]
        attributes = data["attributes"]
        assert set(attributes) == {
            "tokenType",
            "expiresIn",
            "accessToken",
            "refreshToken",
            "refreshTokenExpiresIn",
        }
        assert attributes["tokenType"] == "Bearer"
        assert attributes["expiresIn"] == 28800 and attributes["refreshTokenExpiresIn"] == 30 * 24 * 3600
        assert data["links"] == {"self": "http://testserver/access-tokens"}
        assert response.json()["links"] == {"self": "http://testserver/access-tokens"}
        claims = _claims(attributes["accessToken"])
        assert (
            claims["sub"] == customer["id"] and claims["sid"] == data["id"] and claims["scope"] == "customer"
        )
        assert {"iss", "aud", "exp", "iat", "nbf", "jti"} <= set(claims)
        assert claims["exp"] - claims["iat"] == 28800

    async def test_login_is_case_insensitive_on_email(self, client):
        customer = await register(client, email="Mixed@Example.com")
        await login(client, "  mixed@EXAMPLE.com", customer["password"])

    async def test_wrong_password_and_unknown_email_are_003(self, client):
        customer = await register(client)
        for username, password in (
            (customer["attributes"]["email"], "Wrong-Password-1"),
            ("nobody@example.com", customer["password"]),
        ):
            response = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": username, "password": password}),
            )
            assert response.status_code == 401
            assert response.json()["errors"] == [error(401, "003", "Failed to authenticate user.")]
            assert response.headers["www-authenticate"].startswith('Bearer realm="glue-customers"')

    async def test_missing_credentials_are_901(self, client):
        response = await post(client, "/access-tokens", document("access-tokens", {"username": ""}))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            error(422, "901", "password => This field is missing.", "/data/attributes/password"),
            error(422, "901", "username => This value should not be blank.", "/data/attributes/username"),
        ]

    async def test_rehash_on_login_when_parameters_change(self, client, app, app_factory):
        import httpx
        import sqlalchemy as sa

        from app.tables import customers

        customer = await register(client)
        stronger = app_factory(argon2_memory_kib=2048)
        async with stronger.router.lifespan_context(stronger):
            transport = httpx.ASGITransport(app=stronger)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                await login(http, customer["attributes"]["email"], customer["password"])
        row = await app.state.services.db.fetch_one(
            sa.select(customers.c.password_hash).where(customers.c.reference == customer["id"])
        )
        assert "m=2048" in row[0]


class TestRefreshTokens:
    async def test_refresh_rotates_the_refresh_token(self, client):
        customer, tokens = await registered_customer(client)
        response = await _refresh(client, tokens["refreshToken"])
        assert response.status_code == 201
        data = response.json()["data"]
        assert data["type"] == "refresh-tokens" and data["id"] == tokens["sessionId"]
        assert data["links"] == {"self": "http://testserver/refresh-tokens"}
        assert response.json()["links"] == {"self": "http://testserver/refresh-tokens"}
        new = data["attributes"]
        assert new["refreshToken"] != tokens["refreshToken"]
        assert 0 < new["refreshTokenExpiresIn"] <= 30 * 24 * 3600
        profile = await client.get(f"/customers/{customer['id']}", headers=bearer(new["accessToken"]))
        assert profile.status_code == 200
        again = await _refresh(client, new["refreshToken"])
        assert again.status_code == 201

    async def test_reusing_a_rotated_refresh_token_revokes_the_session(self, client):
        customer, tokens = await registered_customer(client)
        rotated = (await _refresh(client, tokens["refreshToken"])).json()["data"]["attributes"]
        reuse = await _refresh(client, tokens["refreshToken"])
        assert reuse.status_code == 401
        assert reuse.json()["errors"] == [error(401, "004", "Failed to refresh token.")]
        # The whole session is gone: the legitimate holder's newer tokens fail too.
        assert (await _refresh(client, rotated["refreshToken"])).status_code == 401
        profile = await client.get(f"/customers/{customer['id']}", headers=bearer(rotated["accessToken"]))
        assert profile.json()["errors"] == [error(401, "001", "Invalid access token.")]

    async def test_concurrent_refreshes_of_one_token_let_at_most_one_through(self, client):
        _, tokens = await registered_customer(client)
        responses = await asyncio.gather(*(_refresh(client, tokens["refreshToken"]) for _ in range(5)))
        assert sum(response.status_code == 201 for response in responses) <= 1
        assert all(response.status_code in (201, 401) for response in responses)

    async def test_unknown_refresh_token_is_004(self, client):
        response = await _refresh(client, "not-a-token")
        assert response.status_code == 401
        assert response.json()["errors"] == [error(401, "004", "Failed to refresh token.")]

    async def test_expired_session_cannot_refresh(self, client, app_factory):
        import httpx

        app = app_factory(refresh_token_ttl=1)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                _, tokens = await registered_customer(http)
                await asyncio.sleep(1.1)
                response = await _refresh(http, tokens["refreshToken"])
        assert response.json()["errors"] == [error(401, "004", "Failed to refresh token.")]

    async def test_missing_refresh_token_is_901(self, client):
        response = await post(client, "/refresh-tokens", document("refresh-tokens", {}))
        assert response.json()["errors"] == [
            error(422, "901", "refreshToken => This field is missing.", "/data/attributes/refreshToken")
        ]


class TestRevocation:
    async def test_delete_refresh_token_revokes_its_session_at_once(self, client):
        customer, tokens = await registered_customer(client)
        assert (await client.get("/customers", headers=bearer(tokens["accessToken"]))).status_code == 200
        other = await login(client, customer["attributes"]["email"], customer["password"])
        response = await client.delete(
            f"/refresh-tokens/{tokens['refreshToken']}", headers=bearer(other["accessToken"])
        )
        assert response.status_code == 204 and response.content == b""
        refused = await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert refused.json()["errors"] == [error(401, "001", "Invalid access token.")]
        assert (await _refresh(client, tokens["refreshToken"])).status_code == 401
        kept = await client.get(f"/customers/{customer['id']}", headers=bearer(other["accessToken"]))
        assert kept.status_code == 200

    async def test_delete_mine_revokes_every_session_of_the_caller_only(self, client):
        customer, tokens = await registered_customer(client)
        other_session = await login(client, customer["attributes"]["email"], customer["password"])
        stranger, stranger_tokens = await registered_customer(client)
        response = await client.delete("/refresh-tokens/mine", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 204
        for token in (tokens["accessToken"], other_session["accessToken"]):
            assert (await client.get("/customers", headers=bearer(token))).status_code == 401
        assert (
            await client.get("/customers", headers=bearer(stranger_tokens["accessToken"]))
        ).status_code == 200

    async def test_deleting_someone_elses_or_unknown_token_is_204_and_changes_nothing(self, client):
        _, victim = await registered_customer(client)
        _, attacker = await registered_customer(client)
        for token in (victim["refreshToken"], "unknown"):
            response = await client.delete(
                f"/refresh-tokens/{token}", headers=bearer(attacker["accessToken"])
            )
            assert response.status_code == 204
        assert (await client.get("/customers", headers=bearer(victim["accessToken"]))).status_code == 200

    async def test_delete_requires_a_token(self, client):
        response = await client.delete("/refresh-tokens/mine")
        assert response.status_code == 403
        assert response.json()["errors"] == [error(403, "002", "Missing access token.")]

    async def test_delete_without_token_in_path_is_015(self, client):
        _, tokens = await registered_customer(client)
        response = await client.delete("/refresh-tokens", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 400
        assert response.json()["errors"] == [error(400, "015", "Resource id is not specified.")]


class TestBearerAuthentication:
    async def test_malformed_or_foreign_tokens_are_001(self, client):
        customer, tokens = await registered_customer(client)
        header, payload, signature = tokens["accessToken"].split(".")
        forged_claims = {**_claims(tokens["accessToken"]), "sub": "DE--999"}
        forged_payload = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
        for value in (
            "Bearer garbage",
            "Bearer a.b.c",
            f"Bearer {header}.{forged_payload}.{signature}",
            "Basic dXNlcjpwYXNz",
            "Bearer ",
            f"Token {tokens['accessToken']}",
        ):
            response = await client.get("/customers", headers={"Authorization": value})
            assert response.status_code == 401, value
            assert response.json()["errors"] == [error(401, "001", "Invalid access token.")]
            assert (
                response.headers["www-authenticate"] == 'Bearer realm="glue-customers", error="invalid_token"'
            )

    async def test_expired_access_token_is_001(self, client, app_factory):
        import httpx

        # Three seconds: a loaded machine may take more than one between the login and the first GET.
        app = app_factory(access_token_ttl=3)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                _, tokens = await registered_customer(http)
                # Used once while valid (so the verified token is cached), then again after expiry.
                assert (
                    await http.get("/customers", headers=bearer(tokens["accessToken"]))
                ).status_code == 200
                await asyncio.sleep(4.1)
                response = await http.get("/customers", headers=bearer(tokens["accessToken"]))
        assert response.json()["errors"] == [error(401, "001", "Invalid access token.")]

    async def test_token_is_verifiable_with_the_jwks_alone(self, client, settings):
        _, tokens = await registered_customer(client)
        keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
        decoded = jwt.decode(tokens["accessToken"], keys, algorithms=["RS256"])
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": "http://testserver"},
            aud={"essential": True, "value": settings.jwt_audience},
        )
        registry.validate(decoded.claims)
        assert decoded.header["alg"] == "RS256" and decoded.header["kid"] == keys.keys[0].kid
        assert decoded.header["typ"] == "at+jwt"
        assert decoded.claims["exp"] > time.time()


class TestOAuthToken:
    async def test_password_grant(self, client):
        customer = await register(client)
        response = await _form(
            client,
            "/token",
            {
                "grant_type": "password",
                "username": customer["attributes"]["email"],
                "password": customer["password"],
                "client_id": "storefront",
            },
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 28800
        assert {"access_token", "refresh_token"} <= set(body)
        profile = await client.get(f"/customers/{customer['id']}", headers=bearer(body["access_token"]))
        assert profile.status_code == 200

    async def test_refresh_token_grant_rotates(self, client):
        _, tokens = await registered_customer(client)
        response = await _form(
            client, "/token", {"grant_type": "refresh_token", "refresh_token": tokens["refreshToken"]}
        )
        assert response.status_code == 200
        assert response.json()["refresh_token"] != tokens["refreshToken"]
        reuse = await _form(
            client, "/token", {"grant_type": "refresh_token", "refresh_token": tokens["refreshToken"]}
        )
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"

    async def test_oauth_errors(self, client):
        customer = await register(client)
        email = customer["attributes"]["email"]
        cases = [
            ({"grant_type": "password", "username": email, "password": "Wrong-One-1"}, 400, "invalid_grant"),
            ({"grant_type": "password", "username": email}, 400, "invalid_request"),
            ({}, 400, "invalid_request"),
            ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
            (
                {
                    "grant_type": "password",
                    "username": email,
                    "password": customer["password"],
                    "client_secret": "s3cret",
                },
                401,
                "invalid_client",
            ),
        ]
        for form, status, code in cases:
            response = await _form(client, "/token", form)
            assert response.status_code == status, form
            assert response.json()["error"] == code and response.json()["error_description"]
            assert response.headers["cache-control"] == "no-store"

    async def test_json_body_is_invalid_request(self, client):
        response = await client.post("/token", json={"grant_type": "password"})
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"

    async def test_repeated_parameter_is_invalid_request(self, client):
        response = await client.post(
            "/token",
            content="grant_type=password&grant_type=password",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.json()["error"] == "invalid_request"

    async def test_unknown_client_id_is_invalid_client_when_clients_are_configured(self, app_factory):
        import httpx

        app = app_factory(oauth_client_ids=("storefront",))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                response = await http.post(
                    "/token",
                    data={
                        "grant_type": "password",
                        "username": "a@b.de",
                        "password": "x",
                        "client_id": "intruder",
                    },
                )
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"


class TestOAuthRevoke:
    async def test_revoking_a_refresh_token_ends_the_session(self, client):
        _, tokens = await registered_customer(client)
        response = await _form(
            client, "/token/revoke", {"token": tokens["refreshToken"], "token_type_hint": "refresh_token"}
        )
        assert response.status_code == 200
        assert (await client.get("/customers", headers=bearer(tokens["accessToken"]))).status_code == 401

    async def test_revoking_an_access_token_ends_the_session(self, client):
        _, tokens = await registered_customer(client)
        response = await _form(client, "/token/revoke", {"token": tokens["accessToken"]})
        assert response.status_code == 200
        assert (await _refresh(client, tokens["refreshToken"])).status_code == 401

    async def test_unknown_token_is_still_200(self, client):
        assert (await _form(client, "/token/revoke", {"token": "whatever"})).status_code == 200

    async def test_missing_token_is_invalid_request(self, client):
        response = await _form(client, "/token/revoke", {})
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"


class TestMetadata:
    async def test_authorization_server_metadata(self, client, settings):
        body = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert body["issuer"] == "http://testserver"
        assert body["token_endpoint"] == "http://testserver/token"
        assert body["revocation_endpoint"] == "http://testserver/token/revoke"
        assert body["jwks_uri"] == "http://testserver/.well-known/jwks.json"
        assert body["grant_types_supported"] == ["password", "refresh_token"]

    async def test_jwks_holds_only_public_rsa_material(self, client):
        keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert len(keys) == 1
        assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])


class TestES256Signing:
    """GLUE_JWT_ALGORITHM=ES256: an EC P-256 key, published in the JWKS, verifiable with it alone."""

    @pytest.fixture
    async def es256_client(self, app_factory, tmp_path):
        app = app_factory(jwt_algorithm="ES256", jwt_private_key_path=str(tmp_path / "es256.pem"))
        async with app.router.lifespan_context(app):
            await empty_tables(app)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http

    async def test_jwks_publishes_the_public_ec_key_only(self, es256_client):
        keys = (await es256_client.get("/.well-known/jwks.json")).json()["keys"]
        assert len(keys) == 1
        assert (keys[0]["kty"], keys[0]["crv"], keys[0]["alg"], keys[0]["use"]) == (
            "EC",
            "P-256",
            "ES256",
            "sig",
        )
        assert "d" not in keys[0]
        # The contract's JWK set describes both kinds of key (jsonschema_rs comes with schemathesis).
        contract = yaml.safe_load((PROJECT / "openapi.yaml").read_text(encoding="utf-8"))
        validator = jsonschema_rs.Draft202012Validator(contract["components"]["schemas"]["JsonWebKeySet"])
        assert validator.is_valid({"keys": keys})

    async def test_token_is_an_es256_rfc_9068_token_verifiable_with_the_jwks_alone_and_accepted(
        self, es256_client, settings
    ):
        customer, tokens = await registered_customer(es256_client)
        keys = KeySet.import_key_set((await es256_client.get("/.well-known/jwks.json")).json())
        decoded = jwt.decode(tokens["accessToken"], keys, algorithms=["ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": "http://testserver"},
            aud={"essential": True, "value": settings.jwt_audience},
            client_id={"essential": True, "value": "storefront"},
            store={"essential": True, "value": settings.store_catalogue.default.code},
        ).validate(decoded.claims)
        assert decoded.header == {"alg": "ES256", "kid": keys.keys[0].kid, "typ": "at+jwt"}
        response = await es256_client.get(
            f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"])
        )
        assert response.status_code == 200

    async def test_an_rs256_token_is_refused_with_001(self, es256_client, client):
        customer, tokens = await registered_customer(client)  # signed by the default RS256 app
        response = await es256_client.get(
            f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"])
        )
        assert response.json()["errors"] == [error(401, "001", "Invalid access token.")]

    def test_an_rsa_key_file_with_es256_stops_the_start_naming_both_settings(self, settings):
        with pytest.raises(SettingsError) as raised:
            create_app(replace(settings, jwt_algorithm="ES256"))  # the suite's key file is RSA
        assert "GLUE_JWT_PRIVATE_KEY_PATH" in str(raised.value)
        assert "GLUE_JWT_ALGORITHM=ES256" in str(raised.value)

    def test_an_unknown_algorithm_is_a_settings_error(self):
        with pytest.raises(SettingsError, match="GLUE_JWT_ALGORITHM must be one of RS256, ES256"):
            Settings.from_environment({"GLUE_JWT_ALGORITHM": "HS256"})


async def _app_client(app_factory, **overrides):
    """An app with ``overrides``, its lifespan running, and a client for it (close both with aclose)."""
    import contextlib

    import httpx

    stack = contextlib.AsyncExitStack()
    app = app_factory(**overrides)
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    http = await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://testserver")
    )
    return stack, http


def _basic(client_id: str, secret: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


class TestRfc9068AccessTokens:
    async def test_header_typ_and_claims_follow_rfc_9068(self, client):
        customer = await register(client)
        tokens = await login(client, customer["attributes"]["email"], customer["password"])
        header = json.loads(base64.urlsafe_b64decode(tokens["accessToken"].split(".")[0] + "=="))
        assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
        claims = _claims(tokens["accessToken"])
        assert {"iss", "sub", "aud", "exp", "iat", "jti", "client_id"} <= set(claims)
        assert claims["iss"] == "http://testserver" and claims["client_id"] == "storefront"

    async def test_client_id_claim_is_the_client_the_request_named(self, client):
        customer = await register(client)
        credentials = {"username": customer["attributes"]["email"], "password": customer["password"]}
        by_form = await _form(
            client, "/token", {"grant_type": "password", "client_id": "shop-app", **credentials}
        )
        by_basic = await _form(
            client, "/token", {"grant_type": "password", **credentials}, headers=_basic("kiosk")
        )
        nameless = await _form(client, "/token", {"grant_type": "password", **credentials})
        assert _claims(by_form.json()["access_token"])["client_id"] == "shop-app"
        assert _claims(by_basic.json()["access_token"])["client_id"] == "kiosk"
        assert _claims(nameless.json()["access_token"])["client_id"] == "storefront"
        refreshed = await _form(
            client,
            "/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": by_form.json()["refresh_token"],
                "client_id": "shop-app",
            },
        )
        assert _claims(refreshed.json()["access_token"])["client_id"] == "shop-app"

    async def test_the_default_client_id_is_a_setting(self, app_factory):
        stack, http = await _app_client(app_factory, oauth_default_client_id="web-shop")
        async with stack:
            _, tokens = await registered_customer(http)
        assert _claims(tokens["accessToken"])["client_id"] == "web-shop"

    async def test_tokens_of_the_earlier_format_still_verify_until_they_expire(self, client, settings):
        from joserfc.jwk import RSAKey

        customer, tokens = await registered_customer(client)
        key = RSAKey.import_key(Path(settings.jwt_private_key_path).read_bytes())  # noqa: ASYNC240 - a small file
        current = _claims(tokens["accessToken"])
        legacy_claims = {name: value for name, value in current.items() if name != "client_id"}
        header = {"alg": "RS256", "kid": key.thumbprint(), "typ": "JWT"}
        legacy = jwt.encode(header, {**legacy_claims, "iss": "glue-customers"}, key, algorithms=["RS256"])
        response = await client.get(f"/customers/{customer['id']}", headers=bearer(legacy))
        assert response.status_code == 200
        expired = jwt.encode(
            header,
            {**legacy_claims, "iss": "glue-customers", "exp": int(time.time()) - 1},
            key,
            algorithms=["RS256"],
        )
        for refused in (
            expired,
            jwt.encode(
                header, {**legacy_claims, "iss": "https://elsewhere.example"}, key, algorithms=["RS256"]
            ),
            # The former issuer only in the former format: a current-format token must name this issuer.
            jwt.encode(
                {**header, "typ": "at+jwt"}, {**current, "iss": "glue-customers"}, key, algorithms=["RS256"]
            ),
            jwt.encode({**header, "typ": "secevent+jwt"}, current, key, algorithms=["RS256"]),
        ):
            response = await client.get(f"/customers/{customer['id']}", headers=bearer(refused))
            assert response.json()["errors"] == [error(401, "001", "Invalid access token.")]


class TestIssuer:
    async def test_issuer_is_the_public_base_url_and_the_tokens_iss(self, app_factory):
        stack, http = await _app_client(app_factory, public_base_url="https://shop.example/")
        async with stack:
            metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
            _, tokens = await registered_customer(http)
        assert metadata["issuer"] == "https://shop.example"
        assert metadata["token_endpoint"] == "https://shop.example/token"
        assert _claims(tokens["accessToken"])["iss"] == metadata["issuer"]

    async def test_a_configured_issuer_wins_over_the_base_url(self, app_factory):
        stack, http = await _app_client(
            app_factory, public_base_url="https://shop.example", jwt_issuer="https://id.shop.example"
        )
        async with stack:
            metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
            customer, tokens = await registered_customer(http)
            profile = await http.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        assert metadata["issuer"] == "https://id.shop.example" == _claims(tokens["accessToken"])["iss"]
        assert metadata["token_endpoint"] == "https://shop.example/token" and profile.status_code == 200

    async def test_without_settings_the_issuer_is_the_base_url_the_request_used(self, client):
        customer, tokens = await registered_customer(client)
        assert _claims(tokens["accessToken"])["iss"] == "http://testserver"
        other_host = {"Host": "api.example", **bearer(tokens["accessToken"])}
        metadata = (
            await client.get("/.well-known/oauth-authorization-server", headers={"Host": "api.example"})
        ).json()
        assert metadata["issuer"] == "http://api.example"
        # Issued for one base URL, the token is not this issuer's at another.
        response = await client.get(f"/customers/{customer['id']}", headers=other_host)
        assert response.json()["errors"] == [error(401, "001", "Invalid access token.")]

    async def test_metadata_passes_authlibs_rfc_8414_validation(self, app_factory):
        from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

        stack, http = await _app_client(app_factory, public_base_url="https://shop.example")
        async with stack:
            body = (await http.get("/.well-known/oauth-authorization-server")).json()
        metadata = AuthorizationServerMetadata(body)
        metadata.validate()
        assert metadata.issuer == "https://shop.example"


class TestPublicClientAuthentication:
    async def _password_grant(self, client, headers=None, **form):
        customer = await register(client)
        data = {
            "grant_type": "password",
            "username": customer["attributes"]["email"],
            "password": customer["password"],
        }
        return await _form(client, "/token", {**data, **form}, headers=headers or {})

    async def test_http_basic_with_an_empty_password_names_a_public_client(self, client):
        response = await self._password_grant(client, _basic("storefront"))
        assert response.status_code == 200 and response.json()["token_type"] == "Bearer"

    async def test_an_empty_client_secret_parameter_is_no_secret(self, client):
        response = await self._password_grant(client, client_id="storefront", client_secret="")
        assert response.status_code == 200

    async def test_any_secret_or_malformed_basic_credentials_are_invalid_client(self, client):
        for headers, form in (
            (_basic("storefront", "s3cret"), {}),
            ({"Authorization": "Basic !!not-base64"}, {}),
            ({"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, {}),
            (_basic(""), {}),
            (_basic("storefront"), {"client_id": "another"}),
        ):
            response = await self._password_grant(client, headers, **form)
            assert response.status_code == 401, headers
            assert response.json() == {
                "error": "invalid_client",
                "error_description": "Client authentication failed.",
            }
            assert response.headers["www-authenticate"] == 'Basic realm="glue-customers"'

    async def test_basic_client_ids_are_checked_against_the_configured_clients(self, app_factory):
        stack, http = await _app_client(app_factory, oauth_client_ids=("storefront",))
        async with stack:
            accepted = await self._password_grant(http, _basic("storefront"))
            refused = await self._password_grant(http, _basic("intruder"))
        assert accepted.status_code == 200
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"

    async def test_revocation_accepts_the_same_client_authentication(self, client):
        _, tokens = await registered_customer(client)
        response = await _form(
            client, "/token/revoke", {"token": tokens["refreshToken"]}, headers=_basic("storefront")
        )
        assert response.status_code == 200
        refused = await _form(client, "/token/revoke", {"token": "x"}, headers=_basic("storefront", "secret"))
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert (await client.get("/customers", headers=bearer(tokens["accessToken"]))).status_code == 401
