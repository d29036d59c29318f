"""``/customer-sms-confirmation`` (a texted code activates), ``/customer-confirmation-resend`` and
``/customers/{reference}/credential-confirmation`` (a pending e-mail or phone change applies)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import client_address, principal, request_store, services
from schemas.activation import ConfirmationResendSchema, CredentialConfirmationSchema, SmsConfirmationSchema

__all__ = ["confirm_by_sms", "resend_confirmation", "confirm_credential_change"]

SMS_CONFIRMATION = "customer-sms-confirmation"
RESEND = "customer-confirmation-resend"
CREDENTIAL = "credential-confirmation"


async def confirm_by_sms(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, SMS_CONFIRMATION)
    loaded = jsonapi.load_attributes(SmsConfirmationSchema, SMS_CONFIRMATION, attributes)
    await services(request).activation.confirm_by_sms(
        loaded["phone"], loaded["code"], client_address(request), request_store(request)
    )
    return jsonapi.empty_response()


async def resend_confirmation(request: Request) -> Response:
    """Always 204 (after validation): whether the username is known or pending is never revealed."""
    attributes = await jsonapi.read_attributes(request, RESEND)
    loaded = jsonapi.load_attributes(ConfirmationResendSchema, RESEND, attributes)
    await services(request).activation.resend(
        loaded["username"], client_address(request), request_store(request)
    )
    return jsonapi.empty_response()


async def confirm_credential_change(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, CREDENTIAL)
    loaded = jsonapi.load_attributes(CredentialConfirmationSchema, CREDENTIAL, attributes)
    await services(request).credential_changes.confirm(
        principal(request), loaded["code"], client_address(request), request_store(request)
    )
    return jsonapi.empty_response()
