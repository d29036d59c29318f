"""Standard OAuth 2.0 clients, unmodified and with their defaults, against a real uvicorn process:
Authlib, requests-oauthlib's ``LegacyApplicationClient`` and oauth4webapi (Node)."""

from __future__ import annotations

import base64
import fcntl
import json
import shutil
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from tests.helpers import JSON_API, PASSWORD, document, registration
from tests.servers import PROJECT

NODE_TESTS = PROJECT / "tests"
AUDIENCE = "glue-storefront"


def _register(base: str) -> tuple[str, str]:
    """A new customer's reference and e-mail address."""
    email = f"oauth-{uuid.uuid4().hex[:10]}@example.com"
    created = httpx.post(
        f"{base}/customers",
        json=document("customers", registration(email=email)),
        headers={"Content-Type": JSON_API},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    return created.json()["data"]["id"], email


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _profile_status(base: str, reference: str, access_token: str) -> int:
    response = httpx.get(
        f"{base}/customers/{reference}", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    return response.status_code


def test_authlib_discovers_logs_in_refreshes_and_revokes(live_server):
    from authlib.integrations.requests_client import OAuth2Session

    reference, email = _register(live_server)
    metadata = httpx.get(f"{live_server}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == live_server
    with OAuth2Session(client_id="authlib-shop", token_endpoint_auth_method="none") as client:
        token = client.fetch_token(metadata["token_endpoint"], username=email, password=PASSWORD)
        assert (
            token["token_type"] == "Bearer"
            and _profile_status(live_server, reference, token["access_token"]) == 200
        )
        refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["refresh_token"] != token["refresh_token"]
        revoked = client.revoke_token(metadata["revocation_endpoint"], refreshed["refresh_token"])
        assert revoked.status_code == 200
    assert _profile_status(live_server, reference, refreshed["access_token"]) == 401


def test_requests_oauthlib_legacy_application_client_with_its_defaults(live_server, monkeypatch):
    from oauthlib.oauth2 import LegacyApplicationClient
    from requests_oauthlib import OAuth2Session

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test server speaks plain HTTP
    reference, email = _register(live_server)
    session = OAuth2Session(client=LegacyApplicationClient(client_id="legacy-shop"))
    token = session.fetch_token(token_url=f"{live_server}/token", username=email, password=PASSWORD)
    # Its default sends the client id only as HTTP Basic with an empty password (RFC 6749 §2.3.1),
    # and the token names that client.
    assert _claims(token["access_token"])["client_id"] == "legacy-shop"
    assert session.get(f"{live_server}/customers/{reference}").status_code == 200
    refreshed = session.refresh_token(f"{live_server}/token")
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert session.get(f"{live_server}/customers/{reference}").json()["data"]["attributes"]["email"] == email


@pytest.fixture(scope="module")
def node_client() -> str:
    """The Node client's dependencies installed from tests/package-lock.json (``npm ci``) when needed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the oauth4webapi client test needs Node 20")
    # Test processes running side by side (pytest-xdist) install once: the lock serialises them.
    with open(NODE_TESTS / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (NODE_TESTS / "node_modules" / "oauth4webapi" / "package.json").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_TESTS, check=True, timeout=300)
    return node


def test_oauth4webapi_discovers_grants_refreshes_validates_and_revokes(live_server, node_client):
    reference, email = _register(live_server)
    finished = subprocess.run(
        [node_client, str(NODE_TESTS / "oauth_client.mjs"), live_server, email, PASSWORD, AUDIENCE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    seen: dict[str, Any] = json.loads(finished.stdout)
    assert seen["issuer"] == live_server and seen["tokenEndpoint"] == f"{live_server}/token"
    # validateJwtAccessToken checked typ at+jwt, the signature against the JWKS, iss, aud and exp.
    for claims in (seen["claims"], seen["refreshedClaims"]):
        assert claims["iss"] == live_server and claims["aud"] == AUDIENCE and claims["sub"] == reference
        assert claims["client_id"] == "node-storefront" and claims["scope"] == "customer"
    assert seen["rotated"] and seen["profileStatus"] == 200 and seen["profileEmail"] == email
    assert seen["statusAfterRevocation"] == 401
