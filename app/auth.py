"""Bearer authentication and the one ownership check used on every customer-scoped path."""

from __future__ import annotations

from starlette.requests import Request

from app.models import Principal
from app.services import Services
from errors import ApiError, CatalogueEntry, catalogue

__all__ = ["services", "authenticate", "require_owner"]


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def authenticate(request: Request) -> Principal:
    """The caller behind ``Authorization: Bearer …``: 002 without a header, 001 for a bad token."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(catalogue.MISSING_ACCESS_TOKEN)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(catalogue.INVALID_ACCESS_TOKEN)
    return await services(request).sessions.authenticate(token.strip())


def require_owner(
    principal: Principal, reference: str, refusal: CatalogueEntry = catalogue.UNAUTHORIZED_REQUEST
) -> None:
    """The path's customer must be the token's customer: 411 (402 for GET, as Glue) before any lookup."""
    if principal.customer.reference != reference:
        raise ApiError(refusal)
