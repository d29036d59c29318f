"""``/customers`` and ``/customers/{customerReference}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, request_store, services
from app.locales import language_ranges
from app.models import Customer
from app.services.customers import Registration
from resources._rendering import only_fields, schema_for, wire_fields
from resources.storefront.addresses import ADDRESS_FIELDS, render_addresses
from schemas.customers import CUSTOMER_EDITABLE, CustomerSchema, CustomerUpdateSchema

__all__ = [
    "create_customer",
    "list_customers",
    "get_customer",
    "update_customer",
    "delete_customer",
]

TYPE = "customers"
ADDRESSES = "addresses"
_FIELDS = {TYPE: (*wire_fields(CustomerSchema), ADDRESSES), ADDRESSES: ADDRESS_FIELDS}


async def _render(
    request: Request,
    customer: Customer | list[Customer],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    query = jsonapi.ResourceQuery()
    if request.method == "GET":
        query = jsonapi.parse_query(request, fields_by_type=_FIELDS, includes=(ADDRESSES,))
    sparse = query.only(TYPE)
    only = (
        only_fields(CustomerSchema, tuple(name for name in sparse if name != ADDRESSES)) if sparse else None
    )
    schema = schema_for(request, CustomerSchema, only=only, many=isinstance(customer, list))
    document = schema.dump(customer)
    if ADDRESSES in query.include:
        customers = customer if isinstance(customer, list) else [customer]
        found = await services(request).addresses.list_for_customers([item.id for item in customers])
        related = {
            item.reference: render_addresses(request, item.reference, found[item.id], query.only(ADDRESSES))[
                "data"
            ]
            for item in customers
        }
        jsonapi.add_included(
            document, ADDRESSES, related, with_relationship=sparse is None or ADDRESSES in sparse
        )
    return jsonapi.document_response(document, status, headers)


async def create_customer(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(CustomerSchema, TYPE, attributes)
    customer = await services(request).customers.register(
        Registration(
            salutation=loaded["salutation"],
            first_name=loaded["first_name"],
            last_name=loaded["last_name"],
            email=loaded["email"],
            password=loaded["password"],
            confirm_password=loaded["confirm_password"],
            accepted_terms=loaded.get("accepted_terms"),
            gender=loaded.get("gender"),
            date_of_birth=loaded.get("date_of_birth"),
            locale=loaded.get("locale"),
            language_ranges=language_ranges(request.headers.get("accept-language")),
            phone=loaded.get("phone"),
            agreement2=bool(loaded.get("agreement2")),
            agreement3=bool(loaded.get("agreement3")),
            company=loaded.get("company"),
        ),
        request_store(request),
    )
    location = schema_for(request, CustomerSchema).generate_url("/customers/{id}", id=customer.reference)
    return await _render(request, customer, 201, {"Location": location})


async def list_customers(request: Request) -> Response:
    return await _render(request, [principal(request).customer])


async def get_customer(request: Request) -> Response:
    return await _render(request, principal(request).customer)


async def update_customer(request: Request) -> Response:
    reference = request.path_params["reference"]
    attributes = await jsonapi.read_attributes(request, TYPE, reference)
    loaded = jsonapi.load_attributes(CustomerUpdateSchema, TYPE, attributes, partial=True)
    changes = {name: value for name, value in loaded.items() if name in CUSTOMER_EDITABLE}
    customer = await services(request).customers.update(
        principal(request).customer, changes, request_store(request)
    )
    return await _render(request, customer)


async def delete_customer(request: Request) -> Response:
    await services(request).customers.anonymize(principal(request).customer)
    return jsonapi.empty_response()
