"""Hostile input: forged or misused access tokens are refused with 001, and abusive bodies sent to a
real uvicorn process get a clear 4xx and leave it healthy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.signing import load_or_create_private_key
from tests.helpers import JSON_API, bearer, document, error, registered_customer, registration

INVALID_TOKEN = {"errors": [error(401, "001", "Invalid access token.")]}


def _segment(value: dict[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(customer: dict[str, Any], tokens: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "glue-customers",
        "sub": customer["id"],
        "aud": "glue-storefront",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "hardening",
        "sid": tokens["sessionId"],
        "scope": "customer",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _signed(key: RSAKey, claims: dict[str, Any], algorithm: str = "RS256", **header: Any) -> str:
    return jwt.encode({"alg": algorithm, "typ": "JWT", **header}, claims, key, algorithms=[algorithm])


class TestForgedAccessTokens:
    @pytest.fixture
    async def session(self, client, settings):
        customer, tokens = await registered_customer(client)
        return customer, tokens, load_or_create_private_key(settings.jwt_private_key_path)

    async def _refused(self, client, customer: dict[str, Any], token: str) -> None:
        response = await client.get(f"/customers/{customer['id']}", headers=bearer(token))
        assert response.status_code == 401
        assert response.json() == INVALID_TOKEN
        assert response.headers["www-authenticate"].startswith('Bearer realm="glue-customers"')

    async def test_a_token_built_like_ours_is_accepted(self, client, session):
        customer, tokens, key = session  # the control: what the refusals below differ from
        token = _signed(key, _claims(customer, tokens), kid=key.thumbprint())
        response = await client.get(f"/customers/{customer['id']}", headers=bearer(token))
        assert response.status_code == 200

    @pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
    async def test_alg_none_is_refused_with_001(self, client, session, signature):
        customer, tokens, _ = session
        token = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(_claims(customer, tokens))}.{signature}"
        await self._refused(client, customer, token)

    async def test_hs256_signed_with_the_public_key_is_refused_with_001(self, client, session):
        customer, tokens, key = session
        public_pem = key.as_pem(private=False)
        signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(_claims(customer, tokens))}"
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        await self._refused(client, customer, f"{signing_input}.{_segment(mac)}")

    async def test_another_rsa_algorithm_with_our_key_is_refused_with_001(self, client, session):
        customer, tokens, key = session
        await self._refused(client, customer, _signed(key, _claims(customer, tokens), "RS512"))

    @pytest.mark.parametrize("claim_kid", [True, False])
    async def test_a_foreign_key_is_refused_with_001(self, client, session, claim_kid):
        customer, tokens, key = session
        foreign = RSAKey.generate_key(2048, private=True)
        header = {"kid": key.thumbprint()} if claim_kid else {}
        await self._refused(client, customer, _signed(foreign, _claims(customer, tokens), **header))

    @pytest.mark.parametrize(
        "changes",
        [
            {"aud": "another-audience"},
            {"aud": None},
            {"iss": "https://issuer.example"},
            {"iss": None},
            {"nbf": "in an hour"},
            {"exp": "a second ago"},
            {"exp": None},
            {"sid": None},
            {"sid": 42},
            {"sub": None},
            {"sub": "DE--999999"},
        ],
        ids=lambda changes: ",".join(f"{name}={value}" for name, value in changes.items()),
    )
    async def test_wrong_claims_are_refused_with_001(self, client, session, changes):
        customer, tokens, key = session
        # Times are taken when the test runs (ids must not change between collections).
        relative = {"in an hour": int(time.time()) + 3600, "a second ago": int(time.time()) - 1}
        changes = {
            name: relative.get(value, value) if isinstance(value, str) else value
            for name, value in changes.items()
        }
        await self._refused(client, customer, _signed(key, _claims(customer, tokens, **changes)))

    @pytest.mark.parametrize(
        "token",
        ["not-a-token", "a.b.c", "a.b", "..", "x" * 10_000, "eyJhbGciOiJSUzI1NiJ9.e30.", "%C3%A9.e30.x"],
    )
    async def test_malformed_tokens_are_refused_with_001(self, client, session, token):
        customer, _, _ = session
        await self._refused(client, customer, token)

    async def test_a_tampered_payload_is_refused_with_001(self, client, session):
        customer, tokens, key = session
        header, _, signature = _signed(key, _claims(customer, tokens)).split(".")
        other = _segment(_claims(customer, tokens, scope="admin"))
        await self._refused(client, customer, f"{header}.{other}.{signature}")


def _post(http: httpx.Client, content: bytes, **headers: str) -> httpx.Response:
    return http.post("/customers", content=content, headers={"Content-Type": JSON_API, **headers})


def _attributes_with(raw_value: str) -> bytes:
    return ('{"data": {"type": "customers", "attributes": {"firstName": ' + raw_value + "}}}").encode()


INVALID_DOCUMENT = {"errors": [error(400, "013", "Post data is invalid.")]}
TOO_LARGE = {"errors": [error(413, "017", "Request body is too large.")]}


class TestAbusiveBodiesOverASocket:
    """Each case against the same process; afterwards it is alive and still serves a registration."""

    @pytest.mark.parametrize(
        "body",
        [
            b"[" * 10_000 + b"]" * 10_000,
            b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
            b'{"data": {"type": "customers", "attributes": {"firstName": "\xc3\x28"}}}',
            b'{"data": {"type": "customers", "attributes": {"firstName": "\xed\xa0\x80"}}}',
            b"\xff\xfe{\x00}\x00",
            b'{"data": {"type": "customers", "attributes": {}}, "data": {"type": "customers"}}',
            b'{"data": {"type": "customers", "attributes": {"email": "a", "email": "b"}}}',
            _attributes_with("1" + "0" * 5000),
            _attributes_with("1e999"),
            _attributes_with("-1e999"),
            _attributes_with("Infinity"),
            _attributes_with("NaN"),
        ],
        ids=[
            "arrays-10000-deep",
            "objects-10000-deep",
            "invalid-utf8",
            "utf8-surrogate",
            "utf16",
            "duplicate-data",
            "duplicate-attribute",
            "integer-5000-digits",
            "float-overflow",
            "negative-float-overflow",
            "infinity",
            "nan",
        ],
    )
    def test_malformed_documents_are_400_013(self, live_server, body):
        with httpx.Client(base_url=live_server, timeout=30) as http:
            response = _post(http, body)
        assert response.status_code == 400, response.text
        assert response.json() == INVALID_DOCUMENT

    def test_a_4000_digit_number_where_a_name_belongs_is_422(self, live_server):
        with httpx.Client(base_url=live_server, timeout=30) as http:
            body = document("customers", {**registration(), "firstName": 10**4000})
            response = _post(http, json.dumps(body).encode())
        assert response.status_code == 422, response.text
        assert response.json() == {
            "errors": [
                error(
                    422,
                    "901",
                    "firstName => This value should be of type string.",
                    pointer="/data/attributes/firstName",
                )
            ]
        }

    def test_ten_megabytes_with_a_content_length_are_413(self, live_server):
        with httpx.Client(base_url=live_server, timeout=30) as http:
            response = _post(http, b" " * (10 * 1024 * 1024))
        assert response.status_code == 413
        assert response.json() == TOO_LARGE

    def test_ten_megabytes_streamed_without_a_length_are_413(self, live_server):
        def chunks():
            for _ in range(160):
                yield b" " * 65536

        with httpx.Client(base_url=live_server, timeout=30) as http:
            response = http.post("/customers", content=chunks(), headers={"Content-Type": JSON_API})
        assert response.status_code == 413
        assert response.json() == TOO_LARGE

    def test_the_process_is_healthy_afterwards(self, live_server):
        with httpx.Client(base_url=live_server, timeout=30) as http:
            assert http.get("/health/live").json()["status"] == "ok"
            assert http.get("/health/ready").status_code == 200
            created = _post(http, json.dumps(document("customers", registration())).encode())
        assert created.status_code == 201, created.text
