"""``/backoffice/levels`` and a customer's manual level (BO §4.3)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import Level
from resources._rendering import schema_for
from resources.backoffice._common import render_page, time_position
from resources.backoffice.customers import caller
from schemas.backoffice.levels import LevelAssignmentSchema, LevelSchema, LevelUpdateSchema

__all__ = [
    "list_levels",
    "create_level",
    "get_level",
    "update_level",
    "delete_level",
    "assign_level",
    "remove_manual_level",
]

TYPE = "levels"
ASSIGNMENT = "level-assignment"


def _render(request: Request, level: Level, status: int = 200) -> Response:
    document = schema_for(request, LevelSchema).dump(level)
    response = jsonapi.document_response(document, status)
    if status == 201:
        response.headers["Location"] = document["data"]["links"]["self"]
    return response


async def list_levels(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ("store",))
    found = await services(request).levels.list(
        caller(request), page.filters.get("store"), time_position(page.position), page.limit + 1
    )
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    next_position = [last.created_at.isoformat(), last.id] if last else None
    return render_page(request, LevelSchema, items, page, next_position)


async def create_level(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(LevelSchema, TYPE, attributes)
    return _render(request, await services(request).levels.create(loaded, caller(request)), 201)


async def get_level(request: Request) -> Response:
    return _render(request, await services(request).levels.get(request.path_params["id"], caller(request)))


async def update_level(request: Request) -> Response:
    level_id = request.path_params["id"]
    await services(request).levels.get(level_id, caller(request))  # 1020 before the document
    attributes = await jsonapi.read_attributes(request, TYPE, level_id)
    loaded = jsonapi.load_attributes(LevelUpdateSchema, TYPE, attributes, partial=True)
    return _render(request, await services(request).levels.update(level_id, loaded, caller(request)))


async def delete_level(request: Request) -> Response:
    await services(request).levels.delete(request.path_params["id"], caller(request))
    return jsonapi.empty_response()


async def assign_level(request: Request) -> Response:
    who = caller(request)
    customer = await services(request).backoffice_customers.find(
        request.path_params["reference"], who, write=True
    )
    attributes = await jsonapi.read_attributes(request, ASSIGNMENT)
    loaded = jsonapi.load_attributes(LevelAssignmentSchema, ASSIGNMENT, attributes)
    await services(request).levels.assign(customer, loaded["level_id"], who)
    return jsonapi.empty_response()


async def remove_manual_level(request: Request) -> Response:
    who = caller(request)
    customer = await services(request).backoffice_customers.find(
        request.path_params["reference"], who, write=True
    )
    await services(request).levels.remove_manual(customer, who)
    return jsonapi.empty_response()
