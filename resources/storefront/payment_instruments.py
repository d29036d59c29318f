"""``/customers/{reference}/payment-instruments[/{id}]``: the owner's saved instruments (CB §7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, request_store, services
from app.models import PaymentInstrument
from resources._rendering import only_fields, schema_for, wire_fields
from schemas.payment_instruments import TYPE, PaymentInstrumentSchema

__all__ = ["list_payment_instruments", "get_payment_instrument", "delete_payment_instrument"]

FIELDS = wire_fields(PaymentInstrumentSchema)


def _respond(
    request: Request, reference: str, found: PaymentInstrument | list[PaymentInstrument]
) -> Response:
    query = jsonapi.parse_query(request, fields_by_type={TYPE: FIELDS})
    schema = schema_for(
        request,
        PaymentInstrumentSchema,
        customer_reference=reference,
        only=only_fields(PaymentInstrumentSchema, query.only(TYPE)),
        many=isinstance(found, list),
    )
    return jsonapi.document_response(schema.dump(found))


async def list_payment_instruments(request: Request) -> Response:
    customer = principal(request).customer
    found = await services(request).payment_instruments.list_of(customer.id, request_store(request))
    return _respond(request, customer.reference, found)


async def get_payment_instrument(request: Request) -> Response:
    customer = principal(request).customer
    found = await services(request).payment_instruments.get(
        request.path_params["instrument_id"], request_store(request), customer.id
    )
    return _respond(request, customer.reference, found)


async def delete_payment_instrument(request: Request) -> Response:
    customer = principal(request).customer
    await services(request).payment_instruments.delete(request.path_params["instrument_id"], customer.id)
    return jsonapi.empty_response()
