"""``/backoffice/customers`` by reference (BO §4.1, §4.2, §4.4): read, create, change, activate,
deactivate, send the activation e-mail, read the history."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services
from app.models import Actor
from app.services.backoffice_customers import Caller, CustomerView, NewCustomer
from errors import ApiError, catalogue
from resources._rendering import only_fields, schema_for, wire_fields
from resources.backoffice._common import history_query, render_history
from resources.storefront.addresses import ADDRESS_FIELDS
from schemas.addresses import BackofficeAddressSchema
from schemas.backoffice.customers import (
    EDITABLE,
    BackofficeCustomerSchema,
    BackofficeCustomerUpdateSchema,
)

__all__ = [
    "caller",
    "new_customer",
    "get_customer",
    "create_customer",
    "update_customer",
    "activate_customer",
    "deactivate_customer",
    "send_activation_email",
    "customer_history",
    "anonymize_customer",
    "erase_customer",
    "customer_checks",
]

TYPE = "customers"
ADDRESSES = "addresses"
_FIELDS = {TYPE: (*wire_fields(BackofficeCustomerSchema), ADDRESSES), ADDRESSES: ADDRESS_FIELDS}
_NEW_FIELDS = (
    "salutation",
    "gender",
    "date_of_birth",
    "locale",
    "phone",
    "loyalty_card_number",
    "labels",
    "agreement2",
    "agreement3",
    "company",
    "store",
    "pos_id",
    "seller_id",
    "invite",
    "address",
)


def caller(request: Request) -> Caller:
    principal = backoffice_principal(request)
    kind = "operator" if principal.is_operator else "client"
    seller = principal.operator if principal.role == "seller" else None
    return Caller(
        audit=audit_actor(request, principal),
        actor=Actor(kind, principal.id),
        stores=principal.stores,
        seller_id=seller.id if seller else None,
        pos_id=seller.pos_id if seller else None,
    )


async def _render(
    request: Request, view: CustomerView, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    query = jsonapi.ResourceQuery()
    if request.method == "GET":
        query = jsonapi.parse_query(request, fields_by_type=_FIELDS, includes=(ADDRESSES,))
    sparse = query.only(TYPE)
    only = (
        only_fields(BackofficeCustomerSchema, tuple(name for name in sparse if name != ADDRESSES))
        if sparse
        else None
    )
    document = schema_for(request, BackofficeCustomerSchema, only=only).dump(view)
    if ADDRESSES in query.include:
        found = await services(request).addresses.list_for_customers([view.id])
        schema = schema_for(
            request,
            BackofficeAddressSchema,
            customer_reference=view.reference,
            only=only_fields(BackofficeAddressSchema, query.only(ADDRESSES)),
            many=True,
        )
        related = {view.reference: schema.dump(found[view.id])["data"]}
        jsonapi.add_included(
            document, ADDRESSES, related, with_relationship=sparse is None or ADDRESSES in sparse
        )
    return jsonapi.document_response(document, status, headers)


async def get_customer(request: Request) -> Response:
    reference = request.path_params["reference"]
    jsonapi.parse_query(request, fields_by_type=_FIELDS, includes=(ADDRESSES,))  # 011 first
    return await _render(
        request, await services(request).backoffice_customers.read(reference, caller(request))
    )


def new_customer(loaded: dict[str, Any]) -> NewCustomer:
    """A creation from its loaded attributes (an import row's too)."""
    return NewCustomer(
        first_name=loaded["first_name"],
        last_name=loaded["last_name"],
        email=loaded["email"],
        agreement1=loaded.get("agreement1"),
        **{name: loaded[name] for name in _NEW_FIELDS if loaded.get(name) is not None},
    )


async def create_customer(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(BackofficeCustomerSchema, TYPE, attributes)
    new = new_customer(loaded)
    view = await services(request).backoffice_customers.create(new, caller(request))
    location = schema_for(request, BackofficeCustomerSchema).generate_url(
        "/backoffice/customers/{id}", id=view.reference
    )
    return await _render(request, view, 201, {"Location": location})


async def update_customer(request: Request) -> Response:
    reference = request.path_params["reference"]
    service = services(request).backoffice_customers
    who = caller(request)
    await service.find(reference, who, write=True)  # 402, 1001, 1012 before the document
    attributes = await jsonapi.read_attributes(request, TYPE, reference)
    loaded = jsonapi.load_attributes(BackofficeCustomerUpdateSchema, TYPE, attributes, partial=True)
    changes = {name: value for name, value in loaded.items() if name in EDITABLE}
    if "agreement1" in changes and changes.pop("agreement1") is not True:
        raise ApiError(catalogue.TERMS_NOT_ACCEPTED)
    return await _render(request, await service.update(reference, changes, who))


async def activate_customer(request: Request) -> Response:
    await services(request).backoffice_customers.activate(request.path_params["reference"], caller(request))
    return jsonapi.empty_response()


async def deactivate_customer(request: Request) -> Response:
    await services(request).backoffice_customers.deactivate(request.path_params["reference"], caller(request))
    return jsonapi.empty_response()


async def send_activation_email(request: Request) -> Response:
    await services(request).backoffice_customers.send_activation_email(
        request.path_params["reference"], caller(request)
    )
    return jsonapi.empty_response()


# BO §4.4: a comma list of event type names, ASCII letters only (as openapi.yaml's pattern).
async def customer_history(request: Request) -> Response:
    query = history_query(request)
    found = await services(request).backoffice_customers.history(
        request.path_params["reference"],
        caller(request),
        query.event_types,
        query.before_id,
        query.page.limit + 1,
    )
    return render_history(request, query, found)


async def anonymize_customer(request: Request) -> Response:
    await services(request).backoffice_customers.anonymize(request.path_params["reference"], caller(request))
    return jsonapi.empty_response()


async def customer_checks(request: Request) -> Response:
    named = jsonapi.parse_cursor_query(request, ("emailOrPhone",)).filters
    value = named.get("emailOrPhone", "").strip()
    if not value:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    total = await services(request).backoffice_customers.count_matching(value, caller(request))
    return jsonapi.document_response({"meta": {"total": total}})


async def erase_customer(request: Request) -> Response:
    await services(request).backoffice_customers.erase(request.path_params["reference"], caller(request))
    return jsonapi.empty_response()
