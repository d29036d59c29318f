"""``/backoffice/access-requests`` and ``…/access-requests/{id}`` (CB §5, §8.2): every request of
the caller's stores, with its store and history; operators accept, approve and decline. The route
table has checked the caller's permission (R reads, W writes)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import AccessRequest
from app.tables import ACCESS_REQUEST_STATES
from errors import ApiError, catalogue
from resources.backoffice._common import time_page_links, time_position
from resources.backoffice.customers import caller
from resources.storefront.access_requests import decision_of, request_attributes
from schemas.access_requests import ACCESS_REQUEST_TYPE, BackofficeDecisionSchema

__all__ = ["list_access_requests", "get_access_request", "decide_access_request", "access_request_resource"]


def _base(request: Request) -> str:
    return jsonapi.base_url(request, services(request).settings.public_base_url)


async def access_request_resource(request: Request, found: AccessRequest) -> dict[str, Any]:
    events = await services(request).access_requests.history(found.id)
    return {
        "type": ACCESS_REQUEST_TYPE,
        "id": found.id,
        "attributes": {
            **request_attributes(found),
            "store": found.store,
            "history": [
                {
                    "eventType": event.event_type,
                    "createdAt": event.created_at.isoformat(),
                    "actor": {"type": event.actor.type, "id": event.actor.id},
                    "changedFields": event.changed_fields,
                    "values": event.values,
                }
                for event in events
            ],
        },
        "links": {"self": f"{_base(request)}/backoffice/access-requests/{found.id}"},
    }


async def list_access_requests(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ("store", "state", "email", "companyId"))
    if page.filters.get("state", ACCESS_REQUEST_STATES[0]) not in ACCESS_REQUEST_STATES:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    filters = {
        "store": page.filters["store"].strip().upper() if "store" in page.filters else None,
        "state": page.filters.get("state"),
        "email": page.filters.get("email"),
        "company_id": page.filters.get("companyId"),
    }
    found = await services(request).access_requests.list_for_backoffice(
        caller(request).stores, filters, time_position(page.position), page.limit + 1
    )
    data = [await access_request_resource(request, item) for item in found[: page.limit]]
    return jsonapi.document_response({"data": data, "links": time_page_links(request, page, found)})


async def get_access_request(request: Request) -> Response:
    found = await services(request).access_requests.get_for_backoffice(
        request.path_params["id"], caller(request).stores
    )
    return jsonapi.document_response({"data": await access_request_resource(request, found)})


async def decide_access_request(request: Request) -> Response:
    request_id = request.path_params["id"]
    await services(request).access_requests.get_for_backoffice(request_id, caller(request).stores)  # 1120
    attributes = await jsonapi.read_attributes(request, ACCESS_REQUEST_TYPE, request_id)
    loaded = jsonapi.load_attributes(BackofficeDecisionSchema, ACCESS_REQUEST_TYPE, attributes)
    found = await services(request).access_requests.decide_by_backoffice(
        request_id, decision_of(loaded), caller(request)
    )
    return jsonapi.document_response({"data": await access_request_resource(request, found)})
