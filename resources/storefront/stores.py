"""``/stores`` and ``/stores/{code}``: the configured stores, public."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.stores import Store
from errors import ApiError, catalogue
from resources._rendering import only_fields, schema_for, wire_fields
from schemas.stores import StoreSchema

__all__ = ["list_stores", "get_store"]

TYPE = "stores"
_FIELDS = {TYPE: wire_fields(StoreSchema)}


def _respond(request: Request, query: jsonapi.ResourceQuery, stores: Store | list[Store]) -> Response:
    schema = schema_for(
        request, StoreSchema, only=only_fields(StoreSchema, query.only(TYPE)), many=isinstance(stores, list)
    )
    return jsonapi.document_response(schema.dump(stores))


async def list_stores(request: Request) -> Response:
    query = jsonapi.parse_query(request, fields_by_type=_FIELDS)
    return _respond(request, query, list(services(request).stores))


async def get_store(request: Request) -> Response:
    """A store by its code in any letter case; one not configured is 404 (007)."""
    query = jsonapi.parse_query(request, fields_by_type=_FIELDS)
    store = services(request).stores.find(request.path_params["code"])
    if store is None:
        raise ApiError(catalogue.NOT_FOUND)
    return _respond(request, query, store)
