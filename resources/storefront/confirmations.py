"""``/customer-confirmation``: the double opt-in's registration key comes back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from schemas.confirmations import ConfirmationSchema

__all__ = ["confirm_customer"]

TYPE = "customer-confirmation"


async def confirm_customer(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(ConfirmationSchema, TYPE, attributes)
    await services(request).confirmations.confirm(loaded["registration_key"])
    return jsonapi.empty_response()
