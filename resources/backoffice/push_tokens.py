"""``/backoffice/customers/{ref}/push-tokens`` (BO §4.9): operators list a customer's devices
(adding and removing them is the customer's, on the storefront)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from resources._rendering import only_fields, schema_for, wire_fields
from resources.backoffice.customers import caller
from schemas.backoffice.push_tokens import BackofficePushTokenSchema

__all__ = ["list_push_tokens"]

TYPE = "push-tokens"
_FIELDS = wire_fields(BackofficePushTokenSchema)


async def list_push_tokens(request: Request) -> Response:
    query = jsonapi.parse_query(request, fields_by_type={TYPE: _FIELDS})
    who = caller(request)
    customers = services(request).backoffice_customers
    customer = await customers.find(request.path_params["reference"], who, reading=True)
    found = await services(request).push_tokens.list_of(customer.id)
    await customers.audit_read(customer, who)
    schema = schema_for(
        request,
        BackofficePushTokenSchema,
        customer_reference=customer.reference,
        only=only_fields(BackofficePushTokenSchema, query.only(TYPE)),
        many=True,
    )
    return jsonapi.document_response(schema.dump(found))
