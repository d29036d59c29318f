"""``…/customers/{ref}/status`` (BO §4.3): the points figures, the level and the next one, the
aggregates; operators and sellers in the back-office, the customer its own on the storefront."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import Customer
from resources._rendering import schema_for
from resources.backoffice.customers import caller
from schemas.backoffice.points import CustomerStatusSchema

__all__ = ["get_status", "get_own_status"]


async def _render(request: Request, customer: Customer, prefix: str) -> Response:
    status = await services(request).points.customer_status(customer)
    return jsonapi.document_response(schema_for(request, CustomerStatusSchema, prefix=prefix).dump(status))


async def get_status(request: Request) -> Response:
    who = caller(request)
    customer = await services(request).backoffice_customers.find(
        request.path_params["reference"], who, reading=True
    )
    response = await _render(request, customer, "/backoffice")
    await services(request).backoffice_customers.audit_read(customer, who)  # BO §4.12, before the answer
    return response


async def get_own_status(request: Request) -> Response:
    customer = await services(request).points.customer(principal(request).customer.reference)
    return await _render(request, customer, "")
