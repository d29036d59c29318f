"""``/backoffice/operators`` and ``/backoffice/operator-password`` (BO §4.10)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services
from app.services.operators import ROLES, OperatorFilters
from errors import ApiError, catalogue
from resources._rendering import schema_for
from resources.backoffice._common import parse_boolean, render_page, time_position, writer
from schemas.backoffice.operators import OperatorPasswordSchema, OperatorSchema

__all__ = [
    "list_operators",
    "create_operator",
    "get_operator",
    "update_operator",
    "delete_operator",
    "activate_operator",
    "deactivate_operator",
    "change_own_password",
]

TYPE = "operators"
_FILTERS = ("role", "active", "posId", "email")


def _render(request: Request, operator: object, status: int = 200) -> Response:
    return jsonapi.document_response(schema_for(request, OperatorSchema).dump(operator), status)


async def list_operators(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, _FILTERS)
    role = page.filters.get("role")
    if role is not None and role not in ROLES:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    filters = OperatorFilters(
        role=role,
        active=parse_boolean(page.filters.get("active")),
        pos_id=page.filters.get("posId"),
        email=page.filters.get("email"),
    )
    found = await services(request).operators.list(filters, time_position(page.position), page.limit + 1)
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    next_position = [last.created_at.isoformat(), last.id] if last else None
    return render_page(request, OperatorSchema, items, page, next_position)


async def create_operator(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(OperatorSchema, TYPE, attributes)
    created = await services(request).operators.create(loaded, writer(request))
    response = _render(request, created, 201)
    response.headers["Location"] = schema_for(request, OperatorSchema).dump(created)["data"]["links"]["self"]
    return response


async def get_operator(request: Request) -> Response:
    return _render(request, await services(request).operators.get(request.path_params["id"]))


async def update_operator(request: Request) -> Response:
    operator_id = request.path_params["id"]
    await services(request).operators.get(operator_id)  # 1002 before the document
    attributes = await jsonapi.read_attributes(request, TYPE, operator_id)
    loaded = jsonapi.load_attributes(OperatorSchema, TYPE, attributes, partial=True)
    loaded.pop("role", None)  # fixed at creation
    updated = await services(request).operators.update(operator_id, loaded, writer(request))
    return _render(request, updated)


async def delete_operator(request: Request) -> Response:
    await services(request).operators.delete(request.path_params["id"], writer(request))
    return jsonapi.empty_response()


async def activate_operator(request: Request) -> Response:
    await services(request).operators.set_active(request.path_params["id"], True, writer(request))
    return jsonapi.empty_response()


async def deactivate_operator(request: Request) -> Response:
    await services(request).operators.set_active(request.path_params["id"], False, writer(request))
    return jsonapi.empty_response()


async def change_own_password(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, "operator-password")
    loaded = jsonapi.load_attributes(OperatorPasswordSchema, "operator-password", attributes)
    caller = backoffice_principal(request)
    assert caller.operator is not None  # the route is operator-only
    await services(request).operators.change_own_password(
        caller.operator,
        caller.session_id,
        loaded["password"],
        loaded["new_password"],
        loaded["confirm_password"],
        audit_actor(request, caller),
    )
    return jsonapi.empty_response()
