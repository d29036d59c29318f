"""``/backoffice/stores/{store}/payment-instruments`` (K) and ``/backoffice/payment-instruments/{id}``
(R; W): the provider's instruments of a customer (CB §7). Ready for the back-office route table.

This endpoint's bodies are never logged: they may carry what rule 1140 refuses."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import PaymentInstrument
from resources.backoffice.orders import path_store
from schemas.payment_instruments import TYPE, load_payment_instrument

__all__ = ["upsert_payment_instrument", "get_payment_instrument", "delete_payment_instrument"]


def _document(request: Request, instrument: PaymentInstrument) -> dict[str, Any]:
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    return {
        "data": {
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
    }


async def upsert_payment_instrument(request: Request) -> Response:
    store = path_store(request)
    fields = load_payment_instrument(await jsonapi.read_attributes(request, TYPE))
    result = await services(request).payment_instruments.upsert(store, fields)
    document = _document(request, result.instrument)
    document["meta"] = {"outcome": result.outcome}
    if result.outcome == "created":
        return jsonapi.document_response(document, 201, {"Location": document["data"]["links"]["self"]})
    return jsonapi.document_response(document)


async def get_payment_instrument(request: Request) -> Response:
    found = await services(request).payment_instruments.get_in_any_store(
        request.path_params["instrument_id"], services(request).stores
    )
    return jsonapi.document_response(_document(request, found))


async def delete_payment_instrument(request: Request) -> Response:
    await services(request).payment_instruments.delete(request.path_params["instrument_id"])
    return jsonapi.empty_response()
