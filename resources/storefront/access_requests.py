"""``/access-requests``, ``/access-request-confirmation`` and ``/access-requests/{id}`` (CB §5): the
public submission and confirmation, and a company admin's requests accepted into its company. The
route table has checked the token kind (1102) and the company role (1103) on the company paths."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import client_address, principal, request_store, services
from app.locales import language_ranges
from app.models import AccessRequest
from app.services.access_requests import Decision, Submission
from app.tables import ACCESS_REQUEST_STATES
from schemas.access_requests import (
    ACCESS_REQUEST_TYPE,
    CONFIRMATION_TYPE,
    ConfirmationKeySchema,
    StorefrontDecisionSchema,
    SubmissionSchema,
)

__all__ = [
    "submit_access_request",
    "confirm_access_request",
    "list_access_requests",
    "get_access_request",
    "decide_access_request",
    "request_attributes",
    "decision_of",
]

SORTS = ("-createdAt", "createdAt")


def request_attributes(found: AccessRequest) -> dict[str, Any]:
    """The attributes both faces show (CB §5.1): never a password or its hash."""
    return {
        "state": found.state,
        "email": found.email,
        "salutation": found.salutation,
        "firstName": found.first_name,
        "lastName": found.last_name,
        "locale": found.locale,
        "companyHint": found.company_hint,
        "requestCode": found.request_code,
        "companyId": found.company_id,
        "role": found.role,
        "declineReason": found.decline_reason,
        "invalidReason": found.invalid_reason,
        "createdAt": found.created_at.isoformat(),
        "updatedAt": found.updated_at.isoformat(),
    }


def decision_of(loaded: dict[str, Any]) -> Decision:
    return Decision(
        state=loaded["state"],
        company_id=loaded.get("company_id"),
        role=loaded.get("role"),
        reason=loaded.get("reason"),
        sent=frozenset(loaded),
    )


def _base(request: Request) -> str:
    return jsonapi.base_url(request, services(request).settings.public_base_url)


def _resource(base: str, found: AccessRequest) -> dict[str, Any]:
    return {
        "type": ACCESS_REQUEST_TYPE,
        "id": found.id,
        "attributes": request_attributes(found),
        "links": {"self": f"{base}/access-requests/{found.id}"},
    }


async def submit_access_request(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, ACCESS_REQUEST_TYPE)
    await services(request).access_requests.admit(client_address(request))  # 1125 before validation
    loaded = jsonapi.load_attributes(SubmissionSchema, ACCESS_REQUEST_TYPE, attributes)
    submission = Submission(
        **{name: value for name, value in loaded.items()},
        language_ranges=language_ranges(request.headers.get("accept-language")),
    )
    await services(request).access_requests.submit(submission, request_store(request))
    return jsonapi.empty_response()


async def confirm_access_request(request: Request) -> Response:
    attributes = await jsonapi.read_attributes(request, CONFIRMATION_TYPE)
    loaded = jsonapi.load_attributes(ConfirmationKeySchema, CONFIRMATION_TYPE, attributes)
    await services(request).access_requests.confirm(loaded["confirmation_key"])
    return jsonapi.empty_response()


async def list_access_requests(request: Request) -> Response:
    query = jsonapi.parse_list_query(
        request, fields_by_type={}, sorts=SORTS, filters={"state": ACCESS_REQUEST_STATES}
    )
    found, total = await services(request).access_requests.list_for_company(
        principal(request), query.filters.get("state"), query.sort == "createdAt", query.offset, query.limit
    )
    base = _base(request)
    document: dict[str, Any] = {"data": [_resource(base, item) for item in found]}
    jsonapi.add_offset_paging(document, request, base, query, total)
    return jsonapi.document_response(document)


async def get_access_request(request: Request) -> Response:
    found = await services(request).access_requests.get_for_company(
        principal(request), request.path_params["id"]
    )
    return jsonapi.document_response({"data": _resource(_base(request), found)})


async def decide_access_request(request: Request) -> Response:
    request_id = request.path_params["id"]
    await services(request).access_requests.get_for_company(principal(request), request_id)  # 1120 first
    attributes = await jsonapi.read_attributes(request, ACCESS_REQUEST_TYPE, request_id)
    loaded = jsonapi.load_attributes(StorefrontDecisionSchema, ACCESS_REQUEST_TYPE, attributes)
    found = await services(request).access_requests.decide_by_company_admin(
        principal(request), request_id, decision_of(loaded)
    )
    return jsonapi.document_response({"data": _resource(_base(request), found)})
