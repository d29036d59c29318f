"""OAuth 2.0: the token endpoint (RFC 6749), revocation (RFC 7009), metadata (RFC 8414), JWKS."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import jsonapi
from app.access import client_address, request_store, services, token_issuer
from app.services.limiter import Limited
from app.services.sessions import AwaitingApproval, LoginFailed, RefreshFailed
from app.stores import Store
from errors import ApiError, catalogue
from errors.oauth import (
    INVALID_CLIENT,
    INVALID_GRANT,
    INVALID_REQUEST,
    SLOW_DOWN,
    UNSUPPORTED_GRANT_TYPE,
    OAuthError,
)

__all__ = ["token", "revoke", "authorization_server_metadata", "jwks", "oauth_error_handler"]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


async def _form(request: Request) -> dict[str, str]:
    """The form parameters; RFC 6749 §3.2: form-encoded, each parameter at most once."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise OAuthError(INVALID_REQUEST, f"The request must be {FORM_MEDIA_TYPE}.")
    try:
        form = await request.form()
    except Exception:  # python-multipart rejects malformed bodies with assorted exception types
        raise OAuthError(INVALID_REQUEST, "The request body could not be parsed.") from None
    values: dict[str, str] = {}
    for name, value in form.multi_items():
        # A NUL is no text a database column stores; a username with one used to reach PostgreSQL.
        if name in values or not isinstance(value, str) or "\x00" in value:
            raise OAuthError(INVALID_REQUEST, f"The parameter {name} is repeated or not text.")
        values[name] = value
    return values


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """``Authorization: Basic`` as RFC 6749 §2.3.1 encodes it (each part form-encoded), or None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise OAuthError(INVALID_CLIENT) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(INVALID_CLIENT)
    return unquote_plus(client_id), unquote_plus(secret)


def _client_id(request: Request, form: dict[str, str]) -> str:
    """The calling client's id: HTTP Basic with an empty password or the form's ``client_id``.

    Only public clients exist, so any non-empty secret is ``invalid_client`` (RFC 6749 §2.3.1 lets a
    client with an empty secret send it empty or not at all). Without an id, the configured default.
    """
    settings = services(request).settings
    if form.get("client_secret"):
        raise OAuthError(INVALID_CLIENT)
    client_id = form.get("client_id")
    basic = _basic_credentials(request)
    if basic is not None:
        basic_id, secret = basic
        if secret or not basic_id or (client_id is not None and client_id != basic_id):
            raise OAuthError(INVALID_CLIENT)
        client_id = basic_id
    if settings.oauth_client_ids and client_id is not None and client_id not in settings.oauth_client_ids:
        raise OAuthError(INVALID_CLIENT)
    return client_id or settings.oauth_default_client_id


def _store(request: Request) -> Store:
    """The ``Store`` header's store, as on every storefront path; a bad one is ``invalid_request``."""
    try:
        return request_store(request)
    except ApiError:
        raise OAuthError(INVALID_REQUEST, catalogue.STORE_NOT_VALID.detail) from None


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError(INVALID_REQUEST, f"The parameter {name} is missing.")
    return value


async def token(request: Request) -> Response:
    """Both grants act in the request's store: a password grant logs in there, a refresh token of
    another store's session is ``invalid_grant``."""
    form = await _form(request)
    store = _store(request)
    client_id = _client_id(request, form)
    grant_type = _required(form, "grant_type")
    sessions = services(request).sessions
    issuer = token_issuer(request)
    try:
        if grant_type == "password":
            address = client_address(request)
            pair = await sessions.login(
                _required(form, "username"),
                _required(form, "password"),
                address,
                store,
                issuer=issuer,
                client_id=client_id,
            )
        elif grant_type == "refresh_token":
            pair = await sessions.refresh(
                _required(form, "refresh_token"), store, issuer=issuer, client_id=client_id
            )
        else:
            raise OAuthError(UNSUPPORTED_GRANT_TYPE)
    except AwaitingApproval:
        raise OAuthError(INVALID_GRANT, catalogue.ACCESS_REQUEST_NOT_APPROVED.detail) from None
    except (LoginFailed, RefreshFailed):
        raise OAuthError(INVALID_GRANT) from None
    except Limited as limited:
        description = catalogue.TOO_MANY_LOGIN_ATTEMPTS.detail.format(minutes=limited.minutes)
        raise OAuthError(SLOW_DOWN, description, headers={"Retry-After": str(limited.retry_after)}) from None
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": "customer",
    }
    return JSONResponse(body, headers=_NO_STORE)


async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whether or not the token was valid; refresh or access token ends its session.

    The ``Store`` header must be valid; the token is revoked whichever store it is of (its holder
    may always end it)."""
    form = await _form(request)
    _store(request)
    _client_id(request, form)
    value = _required(form, "token")
    sessions = services(request).sessions
    issuer = token_issuer(request)
    if form.get("token_type_hint") == "access_token":
        if not await sessions.revoke_access_token(value, issuer):
            await sessions.revoke_refresh_token(value)
    else:
        await sessions.revoke_refresh_token(value)
        await sessions.revoke_access_token(value, issuer)
    return Response(status_code=200, headers=_NO_STORE)


async def authorization_server_metadata(request: Request) -> Response:
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    document: dict[str, Any] = {
        "issuer": token_issuer(request),
        "token_endpoint": f"{base}/token",
        "revocation_endpoint": f"{base}/token/revoke",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["password", "refresh_token"],
        # RFC 8414 requires the member. There is no authorization endpoint (no grant uses one), so
        # the one registered value that issues nothing there: "none" (OAuth 2.0 Multiple Response
        # Type Encoding Practices §4).
        "response_types_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["customer"],
    }
    return JSONResponse(document)


async def jwks(request: Request) -> Response:
    return JSONResponse(services(request).signer.jwks, headers={"Cache-Control": "public, max-age=300"})


async def oauth_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    body = {"error": exc.entry.error, "error_description": exc.description}
    headers = {**_NO_STORE, **exc.headers}
    if exc.entry.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="glue-customers"'
    return JSONResponse(body, status_code=exc.entry.status, headers=headers)
