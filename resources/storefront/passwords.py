"""``/customer-password``, ``/customer-forgotten-password`` and ``/customer-restore-password``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import client_address, principal, request_store, services
from schemas.passwords import ForgottenPasswordSchema, PasswordChangeSchema, RestorePasswordSchema

__all__ = ["change_password", "forgotten_password", "restore_password"]

CHANGE = "customer-password"
FORGOTTEN = "customer-forgotten-password"
RESTORE = "customer-restore-password"


async def change_password(request: Request) -> Response:
    """``/customer-password`` is the caller's; ``/customer-password/{reference}`` must be (else 411)."""
    reference = request.path_params.get("reference")
    attributes = await jsonapi.read_attributes(request, CHANGE, reference)
    loaded = jsonapi.load_attributes(PasswordChangeSchema, CHANGE, attributes)
    await services(request).passwords.change(
        principal(request), loaded["password"], loaded["new_password"], loaded["confirm_password"]
    )
    return jsonapi.empty_response()


async def forgotten_password(request: Request) -> Response:
    """Always 204 (after validation): whether the e-mail is known is never revealed."""
    attributes = await jsonapi.read_attributes(request, FORGOTTEN)
    loaded = jsonapi.load_attributes(ForgottenPasswordSchema, FORGOTTEN, attributes)
    address = client_address(request)
    await services(request).passwords.request_restore(
        loaded["email"], loaded.get("confirmation_base_url"), address, request_store(request)
    )
    return jsonapi.empty_response()


async def restore_password(request: Request) -> Response:
    """The path's id, if any, is not the key (Glue ignores it); a document id must match it (016)."""
    attributes = await jsonapi.read_attributes(request, RESTORE, request.path_params.get("key"))
    loaded = jsonapi.load_attributes(RestorePasswordSchema, RESTORE, attributes)
    await services(request).passwords.restore(
        loaded["restore_password_key"], loaded["password"], loaded["confirm_password"]
    )
    return jsonapi.empty_response()
