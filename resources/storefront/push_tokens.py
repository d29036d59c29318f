"""``/customers/{customerReference}/push-tokens[/{id}]``: the owner's devices, listed, added, removed.

A token is listed and deleted, never read on its own, so its resource objects carry no self link;
the collection does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import PushToken
from resources._rendering import only_fields, schema_for, wire_fields
from schemas.push_tokens import PushTokenSchema

__all__ = ["list_push_tokens", "create_push_token", "delete_push_token"]

TYPE = "push-tokens"
PUSH_TOKEN_FIELDS = wire_fields(PushTokenSchema)


def _render(
    request: Request,
    reference: str,
    tokens: PushToken | list[PushToken],
    only: tuple[str, ...] | None = None,
) -> dict:  # type: ignore[type-arg]
    schema = schema_for(
        request,
        PushTokenSchema,
        customer_reference=reference,
        only=only_fields(PushTokenSchema, only),
        many=isinstance(tokens, list),
    )
    document: dict = schema.dump(tokens)  # type: ignore[type-arg]
    return document


async def list_push_tokens(request: Request) -> Response:
    query = jsonapi.parse_query(request, fields_by_type={TYPE: PUSH_TOKEN_FIELDS})
    customer = principal(request).customer
    found = await services(request).push_tokens.list_of(customer.id)
    return jsonapi.document_response(_render(request, customer.reference, found, query.only(TYPE)))


async def create_push_token(request: Request) -> Response:
    customer = principal(request).customer
    attributes = await jsonapi.read_attributes(request, TYPE)
    fields = jsonapi.load_attributes(PushTokenSchema, TYPE, attributes)
    created = await services(request).push_tokens.register(customer.id, fields["token"], fields["platform"])
    return jsonapi.document_response(_render(request, customer.reference, created), 201)


async def delete_push_token(request: Request) -> Response:
    customer = principal(request).customer
    await services(request).push_tokens.delete(customer.id, request.path_params["token_id"])
    return jsonapi.empty_response()
