"""``openapi.yaml`` describes exactly the routes the app serves and the whole error catalogue."""

from __future__ import annotations

import re
import string
from typing import Any

import pycountry
import pytest
import schemathesis
import yaml
from starlette.routing import Mount, Route

from app.main import routes
from errors.catalogue import CATALOGUE
from tests.servers import PROJECT

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "options", "head", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT / "openapi.yaml").read_text(encoding="utf-8"))
    return loaded


def _template(path: str) -> str:
    """``/customers/{reference}`` and ``/customers/{customerReference}`` are the same route."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _served_operations() -> set[tuple[str, str]]:
    served = set()
    for route in routes():
        if isinstance(route, Mount) or not isinstance(route, Route):
            continue
        if route.path == "/docs/assets/docs-init.js":
            continue  # one of the names of /docs/assets/{name}
        for method in route.methods or ():
            if method != "HEAD":
                served.add((_template(route.path), method))
    return served


def _documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (_template(path), method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _documented_error_codes(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(operation, response status, code) for every code an operation's error response lists."""
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in operation["responses"].items():
                for media in _resolve(document, response).get("content", {}).values():
                    for part in media["schema"].get("allOf", []):
                        error = part.get("properties", {}).get("errors", {}).get("items", {})
                        properties = error.get("properties", {})
                        assert properties.get("status", {}).get("const", status) == status
                        for code in properties.get("code", {}).get("enum", []):
                            found.append((f"{method.upper()} {path}", status, code))
    return found


def test_every_served_route_is_documented_and_nothing_else(document):
    assert _documented_operations(document) == _served_operations()


def test_the_catalogue_section_lists_every_code_with_its_status_and_detail(document):
    listed = [
        (entry["code"], entry["status"], entry["detail"])
        for entry in document["components"]["x-error-catalogue"]["entries"]
    ]
    assert sorted(listed) == sorted((entry.code, entry.status, entry.detail) for entry in CATALOGUE)


def test_codes_listed_on_operations_exist_with_the_response_status(document):
    by_code = {entry.code: entry for entry in CATALOGUE}
    documented = _documented_error_codes(document)
    assert documented
    for operation, status, code in documented:
        assert code in by_code, f"{operation} {status} lists unknown code {code}"
        assert str(by_code[code].status) == status, f"{operation} lists {code} under {status}"


def test_every_code_appears_on_an_operation_but_those_answered_off_them(document):
    # 008 (undeclared method) belongs to no operation; 019 is a bug, never a documented answer. 007
    # is an unknown path's, and also the answer of GET /stores/{code} for an unknown store and of
    # the names /docs/assets/{name} does not serve.
    off_the_operations = {"008", "019"}
    served_codes = {code for _, _, code in _documented_error_codes(document)}
    assert {entry.code for entry in CATALOGUE} - off_the_operations == served_codes


def test_the_country_code_pattern_accepts_exactly_the_iso_codes_in_any_letter_case(document):
    pattern = re.compile(document["components"]["schemas"]["Iso2Code"]["pattern"])
    codes = {country.alpha_2 for country in pycountry.countries}
    every_pair = {first + second for first in string.ascii_uppercase for second in string.ascii_uppercase}
    assert {pair for pair in every_pair if pattern.fullmatch(pair)} == codes
    assert all(pattern.fullmatch(code.lower()) and pattern.fullmatch(code.title()) for code in codes)
    assert not pattern.fullmatch("DEU") and not pattern.fullmatch("D")


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(document).validate()


async def test_the_document_served_is_this_file(client):
    response = await client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.content == (PROJECT / "openapi.yaml").read_bytes()


def test_every_storefront_operation_takes_the_store_header_and_only_those(document):
    # The back-office ignores the header (CB §1): its store is in the path or the body.
    ignoring_store = ("/health/", "/openapi.yaml", "/docs", "/metrics", "/.well-known/", "/backoffice/")
    for path, item in document["paths"].items():
        on_path = {_resolve(document, parameter)["name"] for parameter in item.get("parameters", [])}
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            names = on_path | {
                _resolve(document, parameter)["name"] for parameter in operation.get("parameters", [])
            }
            assert ("Store" in names) != path.startswith(ignoring_store), f"{method.upper()} {path}"


def test_the_document_carries_what_its_readers_and_linters_expect(document):
    assert document["servers"] and document["info"]["license"]["name"]
    assert all(tag.get("description") for tag in document["tags"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            label = f"{method.upper()} {path}"
            assert operation.get("description"), f"{label} has no description"
            assert any(status.startswith("4") for status in operation["responses"]), f"{label} has no 4xx"
