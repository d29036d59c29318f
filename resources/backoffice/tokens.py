"""``/backoffice/access-tokens`` and ``/backoffice/refresh-tokens``: operators' sessions, as the
storefront's (SF §6)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import (
    backoffice_principal,
    client_address,
    current_request_id,
    route_action,
    services,
    token_issuer,
)
from app.services.limiter import Limited
from app.services.operator_sessions import OneTimeCodeRequired
from app.services.sessions import LoginFailed, RefreshFailed
from errors import ApiError, catalogue
from resources._rendering import schema_for
from schemas.backoffice.tokens import OperatorAccessTokenSchema, OperatorRefreshTokenSchema

__all__ = ["create_access_token", "create_refresh_token", "revoke_refresh_token"]

MINE = "mine"


async def create_access_token(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, "access-tokens")
    loaded = jsonapi.load_attributes(OperatorAccessTokenSchema, "access-tokens", attributes)
    try:
        tokens = await services(request).operator_sessions.login(
            loaded["username"],
            loaded["password"],
            client_address(request),
            otp=loaded.get("otp"),
            issuer=token_issuer(request),
            action=route_action(request),
            request_id=current_request_id(),
        )
    except LoginFailed:
        raise ApiError(catalogue.AUTHENTICATION_FAILED) from None
    except OneTimeCodeRequired:
        raise ApiError(catalogue.ONE_TIME_CODE_REQUIRED) from None
    except Limited as limited:
        raise ApiError(
            catalogue.TOO_MANY_LOGIN_ATTEMPTS,
            minutes=limited.minutes,
            headers={"Retry-After": str(limited.retry_after)},
        ) from None
    return jsonapi.document_response(schema_for(request, OperatorAccessTokenSchema).dump(tokens), 201)


async def create_refresh_token(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, "refresh-tokens")
    loaded = jsonapi.load_attributes(OperatorRefreshTokenSchema, "refresh-tokens", attributes)
    try:
        tokens = await services(request).operator_sessions.refresh(
            loaded["refresh_token"], issuer=token_issuer(request)
        )
    except RefreshFailed:
        raise ApiError(catalogue.REFRESH_FAILED) from None
    return jsonapi.document_response(schema_for(request, OperatorRefreshTokenSchema).dump(tokens), 201)


async def revoke_refresh_token(request: Request) -> Response:
    """Always 204: an unknown or another operator's token reveals nothing."""
    caller = backoffice_principal(request)
    token = request.path_params["token"]
    sessions = services(request).operator_sessions
    if token == MINE:
        await sessions.revoke_all(caller.id)
    else:
        await sessions.revoke_refresh_token(token, caller.id)
    return jsonapi.empty_response()
