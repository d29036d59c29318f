"""``…/customers/{ref}/points-transfers`` (BO §4.3) on both faces: operators and sellers add and
spend; operators cancel; the customer reads its own (storefront, offset-paged)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import Customer
from app.services.points import TransferFilters
from resources._rendering import schema_for, wire_fields
from resources.backoffice.customers import caller
from schemas.backoffice.points import PointsTransferSchema

__all__ = [
    "list_transfers",
    "create_transfer",
    "get_transfer",
    "cancel_transfer",
    "list_own_transfers",
]

TYPE = "points-transfers"
BACKOFFICE = "/backoffice"
_FIELDS = {TYPE: wire_fields(PointsTransferSchema)}
_FILTERS = {"transferType": ("add", "spend"), "state": ("active", "canceled", "expired")}


async def _customer(request: Request, *, write: bool = False) -> Customer:
    return await services(request).backoffice_customers.find(
        request.path_params["reference"], caller(request), write=write, reading=not write
    )


def _schema(request: Request, customer: Customer, prefix: str = BACKOFFICE, many: bool = False) -> Any:
    return schema_for(
        request, PointsTransferSchema, customer_reference=customer.reference, prefix=prefix, many=many
    )


async def _list(request: Request, customer: Customer, prefix: str) -> Response:
    query = jsonapi.parse_list_query(
        request, fields_by_type=_FIELDS, sorts=("-createdAt", "createdAt"), filters=_FILTERS, default_limit=10
    )
    filters = TransferFilters(query.filters.get("transferType"), query.filters.get("state"))
    found, total = await services(request).points.list(
        customer, filters, query.sort == "-createdAt", query.offset, query.limit
    )
    schema = _schema(request, customer, prefix, many=True)
    document = schema.dump(found)
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    jsonapi.add_offset_paging(document, request, base, query, total)
    return jsonapi.document_response(document)


async def _audited(request: Request, customer: Customer) -> None:
    """BO §4.12: a read naming the customer, audited before it is answered."""
    await services(request).backoffice_customers.audit_read(customer, caller(request))


async def list_transfers(request: Request) -> Response:
    customer = await _customer(request)
    response = await _list(request, customer, BACKOFFICE)
    await _audited(request, customer)
    return response


async def list_own_transfers(request: Request) -> Response:
    customer = await services(request).points.customer(principal(request).customer.reference)
    return await _list(request, customer, "")


async def create_transfer(request: Request) -> Response:
    customer = await _customer(request, write=True)
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(PointsTransferSchema, TYPE, attributes)
    transfer = await services(request).points.create(customer, loaded, caller(request))
    schema = _schema(request, customer)
    document = schema.dump(transfer)
    return jsonapi.document_response(document, 201, {"Location": document["data"]["links"]["self"]})


async def get_transfer(request: Request) -> Response:
    customer = await _customer(request)
    transfer = await services(request).points.get(customer, request.path_params["transfer_id"])
    await _audited(request, customer)
    return jsonapi.document_response(_schema(request, customer).dump(transfer))


async def cancel_transfer(request: Request) -> Response:
    customer = await _customer(request, write=True)
    await services(request).points.cancel(customer, request.path_params["transfer_id"], caller(request))
    return jsonapi.empty_response()
