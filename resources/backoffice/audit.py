"""``GET /backoffice/audit-events`` (BO §4.12): newest first, cursor-paged."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import backoffice_principal, services
from app.services.audit import REFUSED, SUCCEEDED, AuditFilters
from errors import ApiError, catalogue
from resources.backoffice._common import render_page
from schemas.backoffice.audit import AuditEventSchema

__all__ = ["list_audit_events"]

_FILTERS = ("operatorId", "customerReference", "action", "outcome", "occurredAtFrom", "occurredAtTo")


def _moment(value: str | None) -> datetime | None:
    """ISO 8601 with an offset, else 011."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER) from None
    if moment.tzinfo is None:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    return moment


async def list_audit_events(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, _FILTERS)
    named = page.filters
    if named.get("outcome") not in (None, SUCCEEDED, REFUSED):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    if page.position is not None and (not isinstance(page.position, int) or isinstance(page.position, bool)):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    filters = AuditFilters(
        operator_id=named.get("operatorId"),
        customer_reference=named.get("customerReference"),
        action=named.get("action"),
        outcome=named.get("outcome"),
        occurred_from=_moment(named.get("occurredAtFrom")),
        occurred_to=_moment(named.get("occurredAtTo")),
        stores=backoffice_principal(request).stores,
    )
    found = await services(request).audit.list(filters, page.position, page.limit + 1)
    items = found[: page.limit]
    next_position = items[-1].id if len(found) > page.limit else None
    return render_page(request, AuditEventSchema, items, page, next_position)
