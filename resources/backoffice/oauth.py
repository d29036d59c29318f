"""``/backoffice/token`` (RFC 6749: password, refresh_token and client_credentials grants) and
``/backoffice/token/revoke`` (RFC 7009), in the storefront's OAuth shapes and errors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.access import client_address, current_request_id, route_action, services, token_issuer
from app.services.limiter import Limited
from app.services.operator_sessions import ClientFailed, OneTimeCodeRequired, ScopeRefused
from app.services.sessions import LoginFailed, RefreshFailed
from errors import catalogue
from errors.oauth import (
    INVALID_CLIENT,
    INVALID_GRANT,
    INVALID_SCOPE,
    SLOW_DOWN,
    UNSUPPORTED_GRANT_TYPE,
    OAuthError,
)
from resources.storefront.oauth import _basic_credentials, _form, _required

__all__ = ["token", "revoke"]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _public_client(request: Request, form: dict[str, str]) -> None:
    """Operators' grants come from public clients: any secret is ``invalid_client``."""
    basic = _basic_credentials(request)
    if form.get("client_secret") or (basic is not None and basic[1]):
        raise OAuthError(INVALID_CLIENT)


def _confidential_client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """RFC 6749 §2.3.1: HTTP Basic, or ``client_id`` and ``client_secret`` in the form (not both)."""
    basic = _basic_credentials(request)
    if basic is not None:
        if "client_secret" in form or form.get("client_id", basic[0]) != basic[0]:
            raise OAuthError(INVALID_CLIENT)
        return basic
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not secret:
        raise OAuthError(INVALID_CLIENT)
    return client_id, secret


def _limited(limited: Limited) -> OAuthError:
    description = catalogue.TOO_MANY_LOGIN_ATTEMPTS.detail.format(minutes=limited.minutes)
    return OAuthError(SLOW_DOWN, description, headers={"Retry-After": str(limited.retry_after)})


async def token(request: Request) -> Response:
    form = await _form(request)
    grant_type = _required(form, "grant_type")
    sessions = services(request).operator_sessions
    issuer = token_issuer(request)
    if grant_type == "client_credentials":
        client_id, secret = _confidential_client(request, form)
        try:
            granted = await sessions.client_credentials(
                client_id,
                secret,
                form.get("scope"),
                client_address(request),
                issuer=issuer,
                action=route_action(request),
                request_id=current_request_id(),
            )
        except ClientFailed:
            raise OAuthError(INVALID_CLIENT) from None
        except ScopeRefused:
            raise OAuthError(INVALID_SCOPE) from None
        except Limited as limited:
            raise _limited(limited) from None
        body = {
            "access_token": granted.access_token,
            "token_type": "Bearer",
            "expires_in": granted.expires_in,
            "scope": granted.scope,
        }
        return JSONResponse(body, headers=_NO_STORE)
    _public_client(request, form)
    try:
        if grant_type == "password":
            pair = await sessions.login(
                _required(form, "username"),
                _required(form, "password"),
                client_address(request),
                otp=form.get("otp"),
                issuer=issuer,
                action=route_action(request),
                request_id=current_request_id(),
            )
        elif grant_type == "refresh_token":
            pair = await sessions.refresh(_required(form, "refresh_token"), issuer=issuer)
        else:
            raise OAuthError(UNSUPPORTED_GRANT_TYPE)
    except (LoginFailed, RefreshFailed):
        raise OAuthError(INVALID_GRANT) from None
    except OneTimeCodeRequired:
        raise OAuthError(INVALID_GRANT, catalogue.ONE_TIME_CODE_REQUIRED.detail) from None
    except Limited as limited:
        raise _limited(limited) from None
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": pair.scope,
    }
    return JSONResponse(body, headers=_NO_STORE)


async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whether or not the token was valid; either kind of token ends its session."""
    form = await _form(request)
    _public_client(request, form)
    value = _required(form, "token")
    sessions = services(request).operator_sessions
    issuer = token_issuer(request)
    if not await sessions.revoke_access_token(value, issuer):
        await sessions.revoke_refresh_token(value)
    return Response(status_code=200, headers=_NO_STORE)
