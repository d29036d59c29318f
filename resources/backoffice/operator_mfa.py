"""``/backoffice/operator-mfa`` (the calling operator's own TOTP) and
``/backoffice/operators/{id}/mfa`` (an administrator's reset), BO §2.1."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services
from app.models import Operator
from app.services.limiter import Limited
from errors import ApiError, catalogue
from resources._rendering import schema_for
from resources.backoffice._common import writer
from schemas.backoffice.operator_mfa import (
    TYPE,
    OperatorMfaCodeSchema,
    OperatorMfaOptionalCodeSchema,
    OperatorMfaSchema,
)

__all__ = ["enrol", "confirm", "remove", "reset"]

_Result = TypeVar("_Result")


def _operator(request: Request) -> Operator:
    caller = backoffice_principal(request)
    assert caller.operator is not None  # the routes are operator-only
    return caller.operator


async def _limited(call: Awaitable[_Result]) -> _Result:
    """Wrong codes count in the login limiter: over it, 4401 with ``Retry-After``."""
    try:
        return await call
    except Limited as limited:
        raise ApiError(
            catalogue.TOO_MANY_LOGIN_ATTEMPTS,
            minutes=limited.minutes,
            headers={"Retry-After": str(limited.retry_after)},
        ) from None


async def enrol(request: Request) -> Response:
    enrolment = await services(request).operator_mfa.enrol(_operator(request), audit_actor(request))
    return jsonapi.document_response(schema_for(request, OperatorMfaSchema).dump(enrolment), 201)


async def confirm(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, TYPE)
    loaded = jsonapi.load_attributes(OperatorMfaCodeSchema, TYPE, attributes)
    caller = backoffice_principal(request)
    await _limited(
        services(request).operator_mfa.confirm(
            _operator(request), caller.session_id, caller.enrolment_only, loaded["otp"], audit_actor(request)
        )
    )
    return jsonapi.empty_response()


async def remove(request: Request) -> Response:
    """The body (with ``otp``) may be left out while MFA is not active."""
    attributes = await jsonapi.read_attributes(request, TYPE) if await request.body() else {}
    loaded = jsonapi.load_attributes(OperatorMfaOptionalCodeSchema, TYPE, attributes)
    await _limited(
        services(request).operator_mfa.remove(_operator(request), loaded.get("otp"), audit_actor(request))
    )
    return jsonapi.empty_response()


async def reset(request: Request) -> Response:
    target = await services(request).operators.get(request.path_params["id"])  # 1002
    acting = writer(request)
    await services(request).operator_mfa.reset(target, acting.operator_id, acting.actor)
    return jsonapi.empty_response()
