"""``/backoffice/stores/{store}/payment-instruments`` (K), ``/backoffice/customers/{ref}/payment-instruments``
(R, cursor-paged newest first) and ``/backoffice/payment-instruments/{id}`` (R; W): the provider's
instruments of a customer (CB §7). An instrument of a store outside the caller's is 1141. Every
write and every read is audited under the customer's reference (BO §4.12).

This endpoint's bodies are never logged: they may carry what rule 1140 refuses."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import PaymentInstrument
from app.services.payment_instruments import Audited
from resources.backoffice._common import time_position
from resources.backoffice.customers import caller
from resources.backoffice.orders import path_store
from schemas.payment_instruments import TYPE, load_payment_instrument

__all__ = [
    "upsert_payment_instrument",
    "list_payment_instruments",
    "get_payment_instrument",
    "delete_payment_instrument",
    "instrument_resource",
]


def _audited(request: Request) -> Audited:
    who = caller(request)

    async def audited(reference: str, store: str) -> None:
        await services(request).audit.append(who.audit, customer_reference=reference, store=store)

    return audited


def _document(request: Request, instrument: PaymentInstrument) -> dict[str, Any]:
    return {"data": instrument_resource(request, instrument)}


def instrument_resource(request: Request, instrument: PaymentInstrument) -> dict[str, Any]:
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    return {
        "type": TYPE,
        "id": instrument.id,
        "attributes": {
            "customerReference": instrument.customer_reference,
            "store": instrument.store,
            "provider": instrument.provider,
            "providerToken": instrument.provider_token,
            "brand": instrument.brand,
            "maskedCardNumber": instrument.masked_card_number,
            "expirationMonth": f"{instrument.expiration_month:02d}",
            "expirationYear": f"{instrument.expiration_year:04d}",
            "expired": instrument.expired,
            "createdAt": instrument.created_at.isoformat(),
            "updatedAt": instrument.updated_at.isoformat(),
        },
        "links": {"self": f"{base}/backoffice/payment-instruments/{instrument.id}"},
    }


async def upsert_payment_instrument(request: Request) -> Response:
    store = path_store(request)
    fields = load_payment_instrument(await jsonapi.read_attributes(request, TYPE))
    result = await services(request).payment_instruments.upsert(store, fields, _audited(request))
    document = _document(request, result.instrument)
    document["meta"] = {"outcome": result.outcome}
    if result.outcome == "created":
        return jsonapi.document_response(document, 201, {"Location": document["data"]["links"]["self"]})
    return jsonapi.document_response(document)


async def list_payment_instruments(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ())
    after = time_position(page.position)
    who = caller(request)
    customer = await services(request).backoffice_customers.find(request.path_params["reference"], who)
    store = services(request).stores.find(customer.store)
    assert store is not None, customer.store
    found = await services(request).payment_instruments.page_of(customer.id, store, after, page.limit + 1)
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    await services(request).audit.append(
        who.audit, customer_reference=customer.reference, store=customer.store
    )
    document: dict[str, Any] = {"data": [instrument_resource(request, item) for item in items]}
    next_position = [last.created_at.isoformat(), last.id] if last else None
    document["links"] = jsonapi.cursor_links(
        request, page, next_position, services(request).settings.public_base_url
    )
    return jsonapi.document_response(document)


async def get_payment_instrument(request: Request) -> Response:
    who = caller(request)
    found = await services(request).payment_instruments.get_in_any_store(
        request.path_params["instrument_id"], services(request).stores, who.stores
    )
    await services(request).audit.append(
        who.audit, customer_reference=found.customer_reference, store=found.store
    )
    return jsonapi.document_response(_document(request, found))


async def delete_payment_instrument(request: Request) -> Response:
    await services(request).payment_instruments.delete(
        request.path_params["instrument_id"], allowed=caller(request).stores, audited=_audited(request)
    )
    return jsonapi.empty_response()
