"""``/backoffice/customers/{ref}/send-activation-sms``: an operator texts a pending customer a code."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services

__all__ = ["send_activation_sms"]


async def send_activation_sms(request: Request) -> Response:
    """An action without a request: any body is ignored (BO §1)."""
    caller = backoffice_principal(request)
    await services(request).activation.send_from_backoffice(
        request.path_params["reference"], caller, audit_actor(request, caller)
    )
    return jsonapi.empty_response()
