"""``/access-tokens`` and ``/refresh-tokens``: Glue's JSON:API face of the sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import client_address, principal, request_store, services, token_issuer
from app.services.limiter import Limited
from app.services.sessions import AwaitingApproval, LoginFailed, RefreshFailed
from errors import ApiError, catalogue
from resources._rendering import schema_for
from schemas.tokens import AccessTokenSchema, RefreshTokenSchema

__all__ = ["create_access_token", "create_refresh_token", "revoke_refresh_token"]

MINE = "mine"


async def create_access_token(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, "access-tokens")
    loaded = jsonapi.load_attributes(AccessTokenSchema, "access-tokens", attributes)
    address = client_address(request)
    try:
        tokens = await services(request).sessions.login(
            loaded["username"],
            loaded["password"],
            address,
            request_store(request),
            issuer=token_issuer(request),
            client_id=services(request).settings.oauth_default_client_id,
        )
    except AwaitingApproval:
        raise ApiError(catalogue.ACCESS_REQUEST_NOT_APPROVED) from None
    except LoginFailed:
        raise ApiError(catalogue.AUTHENTICATION_FAILED) from None
    except Limited as limited:
        raise ApiError(
            catalogue.TOO_MANY_LOGIN_ATTEMPTS,
            minutes=limited.minutes,
            headers={"Retry-After": str(limited.retry_after)},
        ) from None
    return jsonapi.document_response(schema_for(request, AccessTokenSchema).dump(tokens), 201)


async def create_refresh_token(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, "refresh-tokens")
    loaded = jsonapi.load_attributes(RefreshTokenSchema, "refresh-tokens", attributes)
    try:
        tokens = await services(request).sessions.refresh(
            loaded["refresh_token"],
            request_store(request),
            issuer=token_issuer(request),
            client_id=services(request).settings.oauth_default_client_id,
        )
    except RefreshFailed:
        raise ApiError(catalogue.REFRESH_FAILED) from None
    return jsonapi.document_response(schema_for(request, RefreshTokenSchema).dump(tokens), 201)


async def revoke_refresh_token(request: Request) -> Response:
    """Always 204: revoking an unknown or foreign token reveals nothing about it."""
    customer = principal(request).customer
    token = request.path_params["token"]
    sessions = services(request).sessions
    if token == MINE:
        await sessions.revoke_all(customer.id)
    else:
        await sessions.revoke_refresh_token(token, customer.id)
    return jsonapi.empty_response()
