"""``/company-users/mine``, ``/company-users`` and ``/company-users/{id}`` (CB §4.1-§4.3): the
caller's own company users, and its company's users as its company token allows. The route table
has checked the token kind (1102) and the company role (1103)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import CompanyUser
from app.tables import COMPANY_ROLES
from resources._rendering import company_user_resource
from resources.storefront.companies import company_resource
from schemas.company_users import COMPANY_TYPE, COMPANY_USER_TYPE, CompanyUserChangeSchema

__all__ = [
    "list_my_company_users",
    "list_company_users",
    "get_company_user",
    "update_company_user",
    "delete_company_user",
]

SORTS = ("-createdAt",)


def _base(request: Request) -> str:
    return jsonapi.base_url(request, services(request).settings.public_base_url)


def _document(request: Request, users: CompanyUser | list[CompanyUser], include: bool) -> dict[str, Any]:
    base = _base(request)
    many = users if isinstance(users, list) else [users]
    data: Any = (
        [company_user_resource(base, user) for user in many]
        if isinstance(users, list)
        else company_user_resource(base, users)
    )
    document: dict[str, Any] = {"data": data}
    if include:
        companies = {user.company_id: user.company for user in many}
        document["included"] = [company_resource(base, company) for company in companies.values()]
    return document


def _include(request: Request) -> bool:
    query = jsonapi.parse_query(request, fields_by_type={}, includes=(COMPANY_TYPE,))
    return COMPANY_TYPE in query.include


def _member(request: Request) -> CompanyUser:
    member = principal(request).company_user
    assert member is not None
    return member


async def list_my_company_users(request: Request) -> Response:
    include = _include(request)
    users = await services(request).company_users.of_customer(principal(request).customer.id)
    return jsonapi.document_response(_document(request, users, include))


async def list_company_users(request: Request) -> Response:
    query = jsonapi.parse_list_query(
        request,
        fields_by_type={},
        sorts=SORTS,
        filters={"role": COMPANY_ROLES, "isActive": ("true", "false")},
    )
    is_active = query.filters.get("isActive")
    users, total = await services(request).company_users.list_for_admin(
        _member(request),
        query.filters.get("role"),
        None if is_active is None else is_active == "true",
        query.offset,
        query.limit,
    )
    document = _document(request, users, False)
    jsonapi.add_offset_paging(document, request, _base(request), query, total)
    return jsonapi.document_response(document)


async def get_company_user(request: Request) -> Response:
    include = _include(request)
    user = await services(request).company_users.get_for_member(
        _member(request), request.path_params["company_user_id"]
    )
    return jsonapi.document_response(_document(request, user, include))


async def update_company_user(request: Request) -> Response:
    user_id = request.path_params["company_user_id"]
    await services(request).company_users.get_for_member(_member(request), user_id)  # 1104 first
    attributes = await jsonapi.read_attributes(request, COMPANY_USER_TYPE, user_id)
    loaded = jsonapi.load_attributes(CompanyUserChangeSchema, COMPANY_USER_TYPE, attributes, partial=True)
    user = await services(request).company_users.update_by_company_admin(principal(request), user_id, loaded)
    return jsonapi.document_response(_document(request, user, False))


async def delete_company_user(request: Request) -> Response:
    await services(request).company_users.remove_by_company_user(
        principal(request), request.path_params["company_user_id"]
    )
    return jsonapi.empty_response()
