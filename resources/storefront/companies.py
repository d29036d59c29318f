"""``/companies/{id|mine}``: the company of the caller's company token (CB §4.1)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import CompanyRecord
from schemas.company_users import COMPANY_TYPE

__all__ = ["get_company", "company_resource"]


def company_resource(base: str, company: CompanyRecord) -> dict[str, Any]:
    """A company as the storefront shows it: its name and state."""
    return {
        "type": COMPANY_TYPE,
        "id": company.id,
        "attributes": {"name": company.name, "isActive": company.is_active},
        "links": {"self": f"{base}/companies/{company.id}"},
    }


async def get_company(request: Request) -> Response:
    jsonapi.parse_query(request, fields_by_type={})
    member = principal(request).company_user
    assert member is not None
    company = services(request).company_users.company_of(member, request.path_params["company_id"])
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    return jsonapi.document_response({"data": company_resource(base, company)})
