"""``/backoffice/customers/{ref}/addresses[/{address_id}]`` (BO §4.1): the storefront's address
book (SF §4) of a customer the caller may touch; every read and write is audited."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import Address, Customer
from resources._rendering import only_fields, schema_for
from resources.backoffice.customers import caller
from resources.storefront.addresses import ADDRESS_FIELDS
from schemas.addresses import BackofficeAddressSchema

__all__ = ["list_addresses", "get_address", "create_address", "update_address", "delete_address"]

TYPE = "addresses"


def _respond(
    request: Request,
    reference: str,
    addresses: Address | list[Address],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    only = None
    if request.method == "GET":
        query = jsonapi.parse_query(request, fields_by_type={TYPE: ADDRESS_FIELDS})
        only = only_fields(BackofficeAddressSchema, query.only(TYPE))
    schema = schema_for(
        request,
        BackofficeAddressSchema,
        customer_reference=reference,
        only=only,
        many=isinstance(addresses, list),
    )
    return jsonapi.document_response(schema.dump(addresses), status, headers)


async def _customer(request: Request, *, write: bool = False) -> Customer:
    return await services(request).backoffice_customers.find(
        request.path_params["reference"], caller(request), write=write, reading=not write
    )


async def _audit(request: Request, customer: Customer) -> None:
    await services(request).audit.append(
        caller(request).audit, customer_reference=customer.reference, store=customer.store
    )


async def list_addresses(request: Request) -> Response:
    customer = await _customer(request)
    found = await services(request).addresses.list_of(customer.id)
    await _audit(request, customer)
    return _respond(request, customer.reference, found)


async def get_address(request: Request) -> Response:
    customer = await _customer(request)
    address = await services(request).addresses.get(customer.id, request.path_params["address_id"])
    await _audit(request, customer)
    return _respond(request, customer.reference, address)


async def create_address(request: Request) -> Response:
    customer = await _customer(request, write=True)
    attributes = await jsonapi.read_attributes(request, TYPE)
    fields = jsonapi.load_attributes(BackofficeAddressSchema, TYPE, attributes)
    who = caller(request)

    async def audited() -> None:
        await _audit(request, customer)

    address = await services(request).addresses.create(customer, fields, who.actor, audited)
    schema = schema_for(request, BackofficeAddressSchema, customer_reference=customer.reference)
    location = f"{schema.collection_url()}/{address.id}"
    return _respond(request, customer.reference, address, 201, {"Location": location})


async def update_address(request: Request) -> Response:
    customer = await _customer(request, write=True)
    address_id = request.path_params["address_id"]
    await services(request).addresses.get(customer.id, address_id)  # 404 before the document
    attributes = await jsonapi.read_attributes(request, TYPE, address_id)
    fields = jsonapi.load_attributes(BackofficeAddressSchema, TYPE, attributes, partial=True)

    async def audited() -> None:
        await _audit(request, customer)

    address = await services(request).addresses.update(
        customer, address_id, fields, caller(request).actor, audited
    )
    return _respond(request, customer.reference, address)


async def delete_address(request: Request) -> Response:
    customer = await _customer(request, write=True)

    async def audited() -> None:
        await _audit(request, customer)

    await services(request).addresses.delete(
        customer, request.path_params["address_id"], caller(request).actor, audited
    )
    return jsonapi.empty_response()
