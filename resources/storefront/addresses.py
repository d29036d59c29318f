"""``/customers/{customerReference}/addresses[/{addressId}]``: every method needs the owner's token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import Address
from resources._rendering import only_fields, schema_for, wire_fields
from schemas.addresses import AddressSchema

__all__ = [
    "list_addresses",
    "get_address",
    "create_address",
    "update_address",
    "delete_address",
    "ADDRESS_FIELDS",
    "render_addresses",
]

TYPE = "addresses"
ADDRESS_FIELDS = wire_fields(AddressSchema)


def render_addresses(
    request: Request, reference: str, addresses: Address | list[Address], only: tuple[str, ...] | None = None
) -> dict:  # type: ignore[type-arg]
    schema = schema_for(
        request,
        AddressSchema,
        customer_reference=reference,
        only=only_fields(AddressSchema, only),
        many=isinstance(addresses, list),
    )
    document: dict = schema.dump(addresses)  # type: ignore[type-arg]
    return document


def _respond(
    request: Request,
    reference: str,
    addresses: Address | list[Address],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    query = (
        jsonapi.parse_query(request, fields_by_type={TYPE: ADDRESS_FIELDS})
        if request.method == "GET"
        else None
    )
    document = render_addresses(request, reference, addresses, query.only(TYPE) if query else None)
    return jsonapi.document_response(document, status, headers)


async def list_addresses(request: Request) -> Response:
    customer = principal(request).customer
    found = await services(request).addresses.list_of(customer.id)
    return _respond(request, customer.reference, found)


async def get_address(request: Request) -> Response:
    customer = principal(request).customer
    address = await services(request).addresses.get(customer.id, request.path_params["address_id"])
    return _respond(request, customer.reference, address)


async def create_address(request: Request) -> Response:
    customer = principal(request).customer
    attributes = await jsonapi.read_attributes(request, TYPE)
    fields = jsonapi.load_attributes(AddressSchema, TYPE, attributes)
    address = await services(request).addresses.create(customer, fields)
    reference = customer.reference
    location = (
        f"{schema_for(request, AddressSchema, customer_reference=reference).collection_url()}/{address.id}"
    )
    return _respond(request, reference, address, 201, {"Location": location})


async def update_address(request: Request) -> Response:
    customer = principal(request).customer
    address_id = request.path_params["address_id"]
    attributes = await jsonapi.read_attributes(request, TYPE, address_id)
    fields = jsonapi.load_attributes(AddressSchema, TYPE, attributes, partial=True)
    address = await services(request).addresses.update(customer, address_id, fields)
    return _respond(request, customer.reference, address)


async def delete_address(request: Request) -> Response:
    customer = principal(request).customer
    await services(request).addresses.delete(customer, request.path_params["address_id"])
    return jsonapi.empty_response()
