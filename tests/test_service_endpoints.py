"""Service endpoints (spec §7): health, the contract document and the offline API reference."""

from __future__ import annotations

import re

import yaml

from app.version import VERSION
from resources.service import DOCS_CONTENT_SECURITY_POLICY


async def test_liveness_reports_the_version(client):
    response = await client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok", "version": VERSION}


async def test_readiness_checks_the_database(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200 and response.json()["database"] == "ok"


async def test_readiness_is_red_when_the_database_is_unreachable(app_factory):
    import httpx

    app = app_factory(database_url="postgresql://postgres@127.0.0.1:9/nothing", database_timeout=1.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        ready = await http.get("/health/ready")
        live = await http.get("/health/live")
    assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
    assert live.status_code == 200


async def test_openapi_document_is_served(client):
    response = await client.get("/openapi.yaml")
    assert response.status_code == 200
    assert yaml.safe_load(response.text)["openapi"].startswith("3.1")


async def test_docs_page_uses_local_assets_only_under_a_content_security_policy(client):
    page = await client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    assert page.headers["content-security-policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert (
        "script-src 'self';" in DOCS_CONTENT_SECURITY_POLICY and "unsafe" not in DOCS_CONTENT_SECURITY_POLICY
    )
    for asset, media_type in (
        ("/docs/assets/swagger-ui.css", "text/css"),
        ("/docs/assets/swagger-ui-bundle.js", "application/javascript"),
        ("/docs/assets/docs-init.js", "application/javascript"),
        ("/docs/assets/favicon-32x32.png", "image/png"),
    ):
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].startswith(media_type), asset


async def test_docs_serve_swagger_ui_5_which_renders_openapi_3_1(client):
    bundle = (await client.get("/docs/assets/swagger-ui-bundle.js")).text
    assert re.search(r'PACKAGE_VERSION:"5\.[0-9]+\.[0-9]+"', bundle)


async def test_docs_assets_are_only_those_the_page_loads(client):
    for name in ("index.html", "swagger-ui-standalone-preset.js", "..%2Fopenapi.yaml", "nothing.js"):
        response = await client.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["errors"] == [{"status": "404", "code": "007", "detail": "Not found."}]
