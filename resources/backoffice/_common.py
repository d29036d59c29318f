"""Helpers of the back-office resources: the writer a service sees, cursor-paged rendering."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services
from app.services.operators import OPERATORS_WRITE, Writer
from errors import ApiError, catalogue
from resources._rendering import schema_for

__all__ = ["writer", "render_page", "time_position", "parse_boolean", "time_page_links"]


def writer(request: Request) -> Writer:
    caller = backoffice_principal(request)
    return Writer(
        actor=audit_actor(request, caller),
        operator_id=caller.id if caller.is_operator else None,
        stores=caller.stores,
        may_write_operators=OPERATORS_WRITE in caller.permissions,
        session_id=caller.session_id,
    )


def time_position(position: Any) -> tuple[datetime, str] | None:
    """A (createdAt, id) cursor position, else 011."""
    if position is None:
        return None
    try:
        moment, identifier = position
        return datetime.fromisoformat(moment), str(identifier)
    except (TypeError, ValueError):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER) from None


def parse_boolean(value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    return value == "true"


def render_page(
    request: Request,
    schema_class: type[Any],
    items: list[Any],
    page: jsonapi.CursorPage,
    next_position: Any,
) -> Response:
    """One page of a cursor-paged collection (``next_position`` None: the last page)."""
    document = schema_for(request, schema_class, many=True).dump(items)
    document["links"] = jsonapi.cursor_links(
        request, page, next_position, services(request).settings.public_base_url
    )
    return jsonapi.document_response(document)


def time_page_links(request: Request, page: jsonapi.CursorPage, found: list[Any]) -> dict[str, Any]:
    """The links of a page newest first by (createdAt, id), ``found`` holding one row more than the
    page when there is a next one."""
    last = found[page.limit - 1] if len(found) > page.limit else None
    position = [last.created_at.isoformat(), last.id] if last else None
    return jsonapi.cursor_links(request, page, position, services(request).settings.public_base_url)
