"""``/backoffice/integration-clients`` (BO §2.2)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import IntegrationClient
from resources._rendering import schema_for
from resources.backoffice._common import render_page, time_position, writer
from schemas.backoffice.integration_clients import IntegrationClientSchema

__all__ = [
    "list_clients",
    "create_client",
    "get_client",
    "update_client",
    "delete_client",
    "rotate_secret",
    "activate_client",
    "deactivate_client",
]

TYPE = "integration-clients"


def _render(
    request: Request, client: IntegrationClient, secret: str | None = None, status: int = 200
) -> Response:
    shown: Any = client if secret is None else {**asdict(client), "client_secret": secret}
    document = schema_for(request, IntegrationClientSchema).dump(shown)
    headers = {"Cache-Control": "no-store"} if secret is not None else None
    return jsonapi.document_response(document, status, headers)


async def list_clients(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ())
    found = await services(request).integration_clients.list(time_position(page.position), page.limit + 1)
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    next_position = [last.created_at.isoformat(), last.id] if last else None
    return render_page(request, IntegrationClientSchema, items, page, next_position)


async def create_client(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(IntegrationClientSchema, TYPE, attributes)
    client, secret = await services(request).integration_clients.create(loaded, writer(request))
    response = _render(request, client, secret, 201)
    response.headers["Location"] = schema_for(request, IntegrationClientSchema).dump(client)["data"]["links"][
        "self"
    ]
    return response


async def get_client(request: Request) -> Response:
    return _render(request, await services(request).integration_clients.get(request.path_params["id"]))


async def update_client(request: Request) -> Response:
    client_id = request.path_params["id"]
    await services(request).integration_clients.get(client_id)  # 1009 before the document
    attributes = await jsonapi.read_attributes(request, TYPE, client_id)
    loaded = jsonapi.load_attributes(IntegrationClientSchema, TYPE, attributes, partial=True)
    return _render(
        request, await services(request).integration_clients.update(client_id, loaded, writer(request))
    )


async def delete_client(request: Request) -> Response:
    await services(request).integration_clients.delete(request.path_params["id"], writer(request))
    return jsonapi.empty_response()


async def rotate_secret(request: Request) -> Response:
    client, secret = await services(request).integration_clients.rotate_secret(
        request.path_params["id"], writer(request)
    )
    return _render(request, client, secret)


async def activate_client(request: Request) -> Response:
    await services(request).integration_clients.set_active(request.path_params["id"], True, writer(request))
    return jsonapi.empty_response()


async def deactivate_client(request: Request) -> Response:
    await services(request).integration_clients.set_active(request.path_params["id"], False, writer(request))
    return jsonapi.empty_response()
