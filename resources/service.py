"""Service endpoints (not JSON:API): health, metrics, the contract, the API reference.

Only ``/metrics`` has an access rule (loopback or the metrics token); the others are public."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

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
]

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


def _swagger_ui_assets() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


SWAGGER_UI_ASSETS = _swagger_ui_assets()

_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>glue-customers API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
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
    return HTMLResponse(_DOCS_PAGE)


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
        Mount("/docs/assets", StaticFiles(directory=SWAGGER_UI_ASSETS)),
    ]
