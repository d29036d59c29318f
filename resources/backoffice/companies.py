"""``/backoffice/companies``, ``…/companies/{id}``, ``…/companies/{id}/history`` (CB §5.4),
``…/companies/{id}/company-users`` and ``/backoffice/company-users/{id}`` (CB §4.1, §4.4): companies,
their events and their users as operators see and write them. The route table has checked the
caller's permission (R reads, W writes)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import CompanyRecord, CompanyUser
from app.services.company_users import NewCompanyUser
from resources._rendering import company_user_resource as shared_company_user_resource
from resources.backoffice._common import history_query, parse_boolean, render_history, time_position
from resources.backoffice.customers import caller
from schemas.backoffice.companies import (
    COMPANY_TYPE,
    COMPANY_USER_TYPE,
    CompanySchema,
    CompanyUpdateSchema,
    CompanyUserUpdateSchema,
    NewCompanyUserSchema,
)

__all__ = [
    "list_companies",
    "create_company",
    "get_company",
    "update_company",
    "company_history",
    "list_company_users",
    "create_company_user",
    "update_company_user",
    "delete_company_user",
    "company_resource",
    "company_user_resource",
]


def _base(request: Request) -> str:
    return jsonapi.base_url(request, services(request).settings.public_base_url)


def company_resource(base: str, company: CompanyRecord) -> dict[str, Any]:
    return {
        "type": COMPANY_TYPE,
        "id": company.id,
        "attributes": {
            "name": company.name,
            "isActive": company.is_active,
            "store": company.store,
            "externalReference": company.external_reference,
            "createdAt": company.created_at.isoformat(),
            "updatedAt": company.updated_at.isoformat(),
        },
        "links": {"self": f"{base}/backoffice/companies/{company.id}"},
    }


def company_user_resource(base: str, user: CompanyUser) -> dict[str, Any]:
    return shared_company_user_resource(base, user, "/backoffice", customerReference=user.customer_reference)


def _page(request: Request, page: jsonapi.CursorPage, found: list[Any], resource: Any) -> Response:
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    next_position = [last.created_at.isoformat(), last.id] if last else None
    base = _base(request)
    document = {
        "data": [resource(base, item) for item in items],
        "links": jsonapi.cursor_links(
            request, page, next_position, services(request).settings.public_base_url
        ),
    }
    return jsonapi.document_response(document)


async def list_companies(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ("store", "name", "isActive"))
    filters = {
        "store": page.filters["store"].strip().upper() if "store" in page.filters else None,
        "name": page.filters.get("name"),
        "is_active": parse_boolean(page.filters.get("isActive")),
    }
    found = await services(request).companies.list(
        caller(request).stores, filters, time_position(page.position), page.limit + 1
    )
    return _page(request, page, found, company_resource)


async def create_company(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, COMPANY_TYPE)
    loaded = jsonapi.load_attributes(CompanySchema, COMPANY_TYPE, attributes)
    company = await services(request).companies.create(loaded, caller(request))
    resource = company_resource(_base(request), company)
    return jsonapi.document_response({"data": resource}, 201, {"Location": resource["links"]["self"]})


async def get_company(request: Request) -> Response:
    company = await services(request).companies.get(request.path_params["company_id"], caller(request).stores)
    return jsonapi.document_response({"data": company_resource(_base(request), company)})


async def update_company(request: Request) -> Response:
    company_id = request.path_params["company_id"]
    await services(request).companies.get(company_id, caller(request).stores)  # 1106 before the document
    attributes = await jsonapi.read_attributes(request, COMPANY_TYPE, company_id)
    loaded = jsonapi.load_attributes(CompanyUpdateSchema, COMPANY_TYPE, attributes, partial=True)
    company = await services(request).companies.update(company_id, loaded, caller(request))
    return jsonapi.document_response({"data": company_resource(_base(request), company)})


async def company_history(request: Request) -> Response:
    query = history_query(request)
    found = await services(request).companies.history(
        request.path_params["company_id"],
        caller(request).stores,
        query.event_types,
        query.before_id,
        query.page.limit + 1,
    )
    return render_history(request, query, found)


async def list_company_users(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ())
    found = await services(request).company_users.list_of_company(
        request.path_params["company_id"], caller(request), time_position(page.position), page.limit + 1
    )
    return _page(request, page, found, company_user_resource)


async def create_company_user(request: Request) -> Response:
    company_id = request.path_params["company_id"]
    await services(request).companies.get(company_id, caller(request).stores)  # 1106 before the document
    attributes = await jsonapi.read_attributes(request, COMPANY_USER_TYPE)
    loaded = jsonapi.load_attributes(NewCompanyUserSchema, COMPANY_USER_TYPE, attributes)
    user, _ = await services(request).company_users.create_by_backoffice(
        company_id, NewCompanyUser(**loaded), caller(request)
    )
    resource = company_user_resource(_base(request), user)
    return jsonapi.document_response({"data": resource}, 201, {"Location": resource["links"]["self"]})


async def update_company_user(request: Request) -> Response:
    user_id = request.path_params["company_user_id"]
    await services(request).company_users.get(user_id, caller(request).stores)  # 1104 before the document
    attributes = await jsonapi.read_attributes(request, COMPANY_USER_TYPE, user_id)
    loaded = jsonapi.load_attributes(CompanyUserUpdateSchema, COMPANY_USER_TYPE, attributes, partial=True)
    user = await services(request).company_users.update_by_backoffice(user_id, loaded, caller(request))
    return jsonapi.document_response({"data": company_user_resource(_base(request), user)})


async def delete_company_user(request: Request) -> Response:
    await services(request).company_users.remove_by_backoffice(
        request.path_params["company_user_id"], caller(request)
    )
    return jsonapi.empty_response()
