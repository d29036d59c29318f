"""Service endpoints (not JSON:API): health, metrics, the contract, the API reference.

Only ``/metrics`` has an access rule (loopback or the metrics token); the others are public."""

from __future__ import annotations

from pathlib import Path

import openapi_ui_bundles
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app import metrics
from app.access import METRICS_SCRAPER, services
from app.routing import resource_route
from app.version import VERSION

__all__ = [
    "routes",
    "live",
    "ready",
    "metrics_exposition",
    "openapi_document",
    "docs_page",
    "OPENAPI_PATH",
    "SWAGGER_UI_ASSETS",
    "DOCS_CONTENT_SECURITY_POLICY",
]

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


# Swagger UI 5 (it renders OpenAPI 3.1; 4.x cannot), as the static files openapi-ui-bundles ships.
SWAGGER_UI_ASSETS = Path(openapi_ui_bundles.swagger_ui.static_path)
# Only what the page loads; the bundle's own index.html (a demo pointing at a remote petstore) is not.
_DOCS_ASSET_TYPES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "favicon-32x32.png": "image/png",
}
# Everything the page needs comes from this origin; Swagger UI's icons are data: URIs in its CSS.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>glue-customers API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/docs-init.js"></script>
</body>
</html>
"""


async def live(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": VERSION})


async def ready(request: Request) -> Response:
    if await services(request).db.is_ready():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


async def metrics_exposition(request: Request) -> Response:
    backlog = await services(request).outbox.backlog()
    return Response(metrics.exposition(VERSION, backlog), media_type=metrics.CONTENT_TYPE)


async def openapi_document(request: Request) -> Response:
    return FileResponse(OPENAPI_PATH, media_type="application/yaml")


async def docs_page(request: Request) -> Response:
    return HTMLResponse(_DOCS_PAGE, headers={"Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY})


async def docs_asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = _DOCS_ASSET_TYPES.get(name)
    if media_type is None:
        raise HTTPException(404)
    return FileResponse(SWAGGER_UI_ASSETS / name, media_type=media_type)


async def docs_init_script(request: Request) -> Response:
    # Served as a file of our own: the page needs no inline script, so a strict CSP can apply.
    script = 'window.ui = SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#swagger-ui"});\n'
    return Response(script, media_type="application/javascript")


def routes() -> list[BaseRoute]:
    """Served whatever faces are on: health, metrics, the contract and its reference page."""
    return [
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
        resource_route("/metrics", {"GET": (metrics_exposition, METRICS_SCRAPER)}),
        Route("/openapi.yaml", openapi_document, methods=["GET"]),
        Route("/docs", docs_page, methods=["GET"]),
        Route("/docs/assets/docs-init.js", docs_init_script, methods=["GET"]),
        Route("/docs/assets/{name}", docs_asset, methods=["GET"]),
    ]
