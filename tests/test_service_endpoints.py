"""Service endpoints (spec §7): health, the contract document and the offline API reference."""

from __future__ import annotations

import yaml

from app.version import VERSION


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


async def test_docs_page_uses_local_assets_only(client):
    page = await client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    for asset in (
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/docs-init.js",
    ):
        assert (await client.get(asset)).status_code == 200, asset
