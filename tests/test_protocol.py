"""JSON:API protocol (spec §1): every 4xx a client can provoke, headers, and the 500 fallback."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.edge import EdgeMiddleware
from tests.helpers import JSON_API, bearer, document, error, registered_customer, registration


async def _post_raw(client, path: str, content: bytes | str, content_type: str = JSON_API, **headers):
    return await client.post(path, content=content, headers={"Content-Type": content_type, **headers})


class TestMediaTypes:
    @pytest.mark.parametrize(
        "content_type",
        [
            "text/plain",
            "application/xml",
            f"{JSON_API}; charset=utf-8",
            f"{JSON_API}; version=1",
            "multipart/form-data",
        ],
    )
    async def test_unsupported_content_type_is_415(self, client, content_type):
        response = await _post_raw(client, "/customers", "{}", content_type)
        assert response.status_code == 415
        assert response.json()["errors"] == [error(415, "012", "Unsupported media type.")]

    async def test_missing_content_type_is_415(self, client):
        response = await client.post("/customers", content=b"{}")
        assert response.status_code == 415

    @pytest.mark.parametrize(
        "content_type",
        [
            JSON_API,
            f'{JSON_API}; profile="https://example.com/p"',
            "application/json",
            "application/json; charset=utf-8",
        ],
    )
    async def test_accepted_content_types(self, client, content_type):
        import json

        response = await _post_raw(
            client, "/customers", json.dumps(document("customers", registration())), content_type
        )
        assert response.status_code == 201

    @pytest.mark.parametrize("accept", ["text/html", f"{JSON_API}; version=2", "image/png, text/*"])
    async def test_unacceptable_accept_is_406(self, client, accept):
        response = await client.get("/customers", headers={"Accept": accept})
        assert response.status_code == 406
        assert response.headers["content-type"] == JSON_API
        assert response.json()["errors"] == [error(406, "010", "Unsupported Accept format used.")]

    @pytest.mark.parametrize(
        "accept",
        [
            "*/*",
            "application/*",
            "application/json",
            JSON_API,
            f"{JSON_API}; version=2, application/json",
            f"{JSON_API}; ext=x",
            "text/html, application/json;q=0.5",
        ],
    )
    async def test_acceptable_accept_headers(self, client, accept):
        response = await client.get("/customers", headers={"Accept": accept})
        assert response.status_code == 403  # past negotiation: the token is what is missing

    async def test_missing_accept_is_fine(self, client):
        request = client.build_request("GET", "/customers")
        del request.headers["accept"]
        response = await client.send(request)
        assert response.status_code == 403


class TestDocuments:
    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"[]",
            b'"text"',
            b"{}",
            b'{"data": null}',
            b'{"data": []}',
            b'{"data": {"type": "customers", "attributes": []}}',
            b'{"data": {"attributes": {}}}',
            b'{"data": {"type": 5}}',
            b'{"data": {"type": "customers", "attributes": {"a": NaN}}}',
            b'{"data": {"type": "customers"}, "data": {"type": "customers"}}',
            b"\xff\xfe{}",
            b"[" * 10000 + b"]" * 10000,
        ],
    )
    async def test_malformed_documents_are_013(self, client, body):
        response = await _post_raw(client, "/customers", body)
        assert response.status_code == 400
        assert response.json()["errors"] == [error(400, "013", "Post data is invalid.")]

    async def test_wrong_type_is_409_014(self, client):
        response = await client.post(
            "/customers", json=document("addresses", registration()), headers={"Content-Type": JSON_API}
        )
        assert response.status_code == 409
        assert response.json()["errors"] == [error(409, "014", "Invalid type.")]

    async def test_id_mismatch_on_patch_is_409_016(self, client):
        customer, tokens = await registered_customer(client)
        body = document("customers", {"firstName": "X"}, resource_id="DE--999")
        response = await client.patch(
            f"/customers/{customer['id']}",
            json=body,
            headers={"Content-Type": JSON_API, **bearer(tokens["accessToken"])},
        )
        assert response.status_code == 409
        assert response.json()["errors"] == [error(409, "016", "Resource id does not match the URL.")]

    async def test_body_over_the_limit_is_413_by_content_length(self, client):
        response = await _post_raw(client, "/customers", b"x" * (1024 * 1024 + 1))
        assert response.status_code == 413
        assert response.json()["errors"] == [error(413, "017", "Request body is too large.")]

    async def test_streamed_body_over_the_limit_is_413(self, client):
        async def chunks():
            for _ in range(20):
                yield b"x" * 65536

        response = await client.post("/customers", content=chunks(), headers={"Content-Type": JSON_API})
        assert response.status_code == 413
        assert response.json()["errors"] == [error(413, "017", "Request body is too large.")]

    async def test_huge_numbers_are_handled(self, client):
        body = '{"data": {"type": "customers", "attributes": {"firstName": 1' + "0" * 5000 + "}}}"
        response = await _post_raw(client, "/customers", body)
        assert response.status_code in (400, 422)
        assert response.json()["errors"]


class TestRouting:
    async def test_unknown_path_is_404_007(self, client):
        response = await client.get("/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == JSON_API
        assert response.json()["errors"] == [error(404, "007", "Not found.")]

    async def test_wrong_method_is_405_008_with_allow(self, client):
        response = await client.put("/customers/DE--1")
        assert response.status_code == 405
        assert response.json()["errors"] == [error(405, "008", "Method not allowed.")]
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}

    async def test_head_answers_like_get_without_body(self, client):
        response = await client.head("/customers")
        assert response.status_code == 403 and response.content == b""


class TestQueryParameters:
    @pytest.mark.parametrize(
        "query",
        [
            "include=orders",
            "fields[customers]=password",
            "fields[orders]=id",
            "page[number]=1",
            "sort=firstName",
            "filter[x]=1",
            "unknown=1",
        ],
    )
    async def test_bad_query_parameters_are_011(self, client, query):
        customer, tokens = await registered_customer(client)
        response = await client.get(
            f"/customers/{customer['id']}?{query}", headers=bearer(tokens["accessToken"])
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [error(400, "011", "Invalid query parameter.")]

    async def test_implementation_specific_parameters_are_ignored(self, client):
        customer, tokens = await registered_customer(client)
        response = await client.get(
            f"/customers/{customer['id']}?_=123&cacheBuster=1", headers=bearer(tokens["accessToken"])
        )
        assert response.status_code == 200


class TestHeaders:
    async def test_security_headers_on_every_response(self, client):
        for response in (
            await client.get("/customers"),
            await client.get("/health/live"),
            await client.get("/nothing"),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-request-id"]
        assert (await client.get("/customers")).headers["cache-control"] == "no-store"


def _app_with_edge(route: Route) -> Starlette:
    """The production middleware stack around one endpoint that fails the way a bug or an outage does."""
    return Starlette(routes=[route], middleware=[Middleware(EdgeMiddleware, body_limit=1024)])


async def _failing_endpoint(request):
    raise RuntimeError("a bug")


async def test_unexpected_failure_is_a_catalogued_500_without_details():
    app = _app_with_edge(Route("/boom", _failing_endpoint))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == JSON_API
    assert response.json() == {"errors": [error(500, "019", "Internal server error.")]}
    assert "a bug" not in response.text


async def _database_down_endpoint(request):
    raise ConnectionRefusedError("connection refused")


async def test_unreachable_database_is_503_018_with_retry_after():
    app = _app_with_edge(Route("/db", _database_down_endpoint))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/db")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"errors": [error(503, "018", "Service temporarily unavailable.")]}


async def test_client_that_disconnects_mid_body_is_not_an_error(app, caplog):
    """A client that goes away while sending its body gets no answer and leaves no error behind."""
    messages = iter(
        [{"type": "http.request", "body": b'{"data": ', "more_body": True}, {"type": "http.disconnect"}]
    )
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/customers",
        "raw_path": b"/customers",
        "query_string": b"",
        "headers": [(b"content-type", JSON_API.encode())],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "http_version": "1.1",
        "root_path": "",
    }
    with caplog.at_level("ERROR"):
        await app(scope, receive, send)
    assert sent == []
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
