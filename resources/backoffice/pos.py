"""``/backoffice/pos``: points of sale (BO §4.3)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import PointOfSale
from resources._rendering import schema_for
from resources.backoffice._common import render_page, time_position
from resources.backoffice.customers import caller
from schemas.backoffice.points_of_sale import PointOfSaleSchema

__all__ = ["list_pos", "create_pos", "get_pos", "update_pos", "delete_pos"]

TYPE = "pos"


def _render(request: Request, pos: PointOfSale, status: int = 200) -> Response:
    document = schema_for(request, PointOfSaleSchema).dump(pos)
    response = jsonapi.document_response(document, status)
    if status == 201:
        response.headers["Location"] = document["data"]["links"]["self"]
    return response


async def list_pos(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ())
    found = await services(request).points_of_sale.list(time_position(page.position), page.limit + 1)
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    next_position = [last.created_at.isoformat(), last.id] if last else None
    return render_page(request, PointOfSaleSchema, items, page, next_position)


async def create_pos(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(PointOfSaleSchema, TYPE, attributes)
    return _render(request, await services(request).points_of_sale.create(loaded, caller(request)), 201)


async def get_pos(request: Request) -> Response:
    return _render(request, await services(request).points_of_sale.get(request.path_params["id"]))


async def update_pos(request: Request) -> Response:
    pos_id = request.path_params["id"]
    await services(request).points_of_sale.get(pos_id)  # 1024 before the document
    attributes = await jsonapi.read_attributes(request, TYPE, pos_id)
    loaded = jsonapi.load_attributes(PointOfSaleSchema, TYPE, attributes, partial=True)
    return _render(request, await services(request).points_of_sale.update(pos_id, loaded, caller(request)))


async def delete_pos(request: Request) -> Response:
    await services(request).points_of_sale.delete(request.path_params["id"], caller(request))
    return jsonapi.empty_response()
