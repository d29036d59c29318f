"""CORS (issue 9 item 1): browser storefronts on listed origins may call every route; others get
no CORS header at all, and with ``GLUE_CORS_ORIGINS`` empty nobody does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import JSON_API, bearer, document, error, post, registered_customer, registration

SHOP = "http://localhost:3000"
STRANGER = "http://evil.example"
EXPOSED = "Location, X-Request-Id, Retry-After, WWW-Authenticate"


@pytest.fixture
async def cors_client(app_factory) -> AsyncIterator[httpx.AsyncClient]:
    app = app_factory(cors_origins=(SHOP, "https://shop.example"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def _preflight(origin: str, method: str, headers: str = "authorization, content-type") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


@pytest.mark.parametrize(
    ("path", "method", "allowed"),
    [
        ("/customers", "POST", "DELETE, GET, HEAD, PATCH, POST"),
        ("/customers/DE--1", "PATCH", "DELETE, GET, HEAD, PATCH"),
        ("/customers/DE--1/addresses/some-id", "DELETE", "DELETE, GET, HEAD, PATCH"),
        ("/access-tokens", "POST", "POST"),
        ("/token", "POST", "POST"),
        ("/token/revoke", "POST", "POST"),
        ("/customer-password", "PATCH", "PATCH"),
        ("/.well-known/oauth-authorization-server", "GET", "GET, HEAD"),
    ],
)
async def test_a_listed_origin_gets_a_204_preflight_with_the_methods_of_that_route(
    cors_client, path, method, allowed
):
    response = await cors_client.options(
        path, headers=_preflight(SHOP, method, "Authorization, Content-Type, Store")
    )
    assert response.status_code == 204 and response.content == b""
    assert _cors_headers(response) == {
        "access-control-allow-origin": SHOP,
        "access-control-allow-methods": allowed,
        "access-control-allow-headers": (
            "Accept, Accept-Language, Authorization, Content-Language, Content-Type, Store, X-Request-Id"
        ),
        "access-control-max-age": "600",
    }
    assert "Origin" in response.headers["vary"]


async def test_actual_requests_expose_the_headers_a_client_reads_without_credentials(cors_client):
    created = await post(
        cors_client, "/customers", document("customers", registration()), headers={"Origin": SHOP}
    )
    assert created.status_code == 201
    assert _cors_headers(created) == {
        "access-control-allow-origin": SHOP,
        "access-control-expose-headers": EXPOSED,
    }
    refused = await cors_client.get("/customers", headers={"Origin": SHOP, **bearer("forged")})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == SHOP
    # The edge's own answers (here 406) carry them too, so a browser can read every error.
    not_acceptable = await cors_client.get("/customers", headers={"Origin": SHOP, "Accept": "text/html"})
    assert not_acceptable.status_code == 406 and not_acceptable.headers["access-control-allow-origin"] == SHOP


async def test_an_unlisted_origin_gets_no_cors_header_at_all(cors_client):
    preflight = await cors_client.options("/customers", headers=_preflight(STRANGER, "POST"))
    assert preflight.status_code == 405
    assert preflight.json()["errors"] == [error(405, "008", "Method not allowed.")]
    assert _cors_headers(preflight) == {}
    _, tokens = await registered_customer(cors_client)
    actual = await cors_client.get(
        "/customers", headers={"Origin": STRANGER, **bearer(tokens["accessToken"])}
    )
    assert actual.status_code == 200 and _cors_headers(actual) == {}
    assert actual.headers["vary"] == "Origin"
    # An origin is compared whole: a listed host on another scheme or port is another origin.
    for near_miss in (
        "https://localhost:3000",
        "http://localhost:3001",
        "http://localhost:3000.evil.example",
    ):
        response = await cors_client.options("/customers", headers=_preflight(near_miss, "POST"))
        assert _cors_headers(response) == {}, near_miss


async def test_a_preflight_for_a_method_or_header_the_route_does_not_take_is_refused(cors_client):
    method = await cors_client.options("/access-tokens", headers=_preflight(SHOP, "DELETE"))
    assert method.status_code == 400 and method.text == "Disallowed CORS method"
    assert method.headers["access-control-allow-methods"] == "POST"
    header = await cors_client.options("/customers", headers=_preflight(SHOP, "POST", "x-forbidden"))
    assert header.status_code == 400 and header.text == "Disallowed CORS headers"


async def test_a_preflight_for_an_unknown_path_is_404(cors_client):
    response = await cors_client.options("/nothing-here", headers=_preflight(SHOP, "GET"))
    assert response.status_code == 404
    assert response.json()["errors"] == [error(404, "007", "Not found.")]


async def test_without_origins_configured_there_are_no_cors_headers(client):
    preflight = await client.options("/customers", headers=_preflight(SHOP, "POST"))
    assert preflight.status_code == 405 and _cors_headers(preflight) == {}
    actual = await client.get("/health/live", headers={"Origin": SHOP})
    assert actual.status_code == 200 and _cors_headers(actual) == {} and "vary" not in actual.headers


async def test_a_plain_options_request_is_still_405_with_allow(cors_client):
    response = await cors_client.options("/customers", headers={"Origin": SHOP, "Content-Type": JSON_API})
    assert response.status_code == 405 and response.headers["allow"]
    assert response.headers["access-control-allow-origin"] == SHOP
