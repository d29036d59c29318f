"""Helpers of the back-office resources: the writer a service sees, cursor-paged rendering, the
history query and page (BO §4.4) of customers and companies alike."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services
from app.services.operators import OPERATORS_WRITE, Writer
from errors import ApiError, catalogue
from resources._rendering import schema_for
from schemas.backoffice.customers import HistoryEventSchema

__all__ = [
    "writer",
    "render_page",
    "time_position",
    "parse_boolean",
    "HistoryQuery",
    "history_query",
    "render_history",
    "time_page_links",
]


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


_EVENT_TYPES = re.compile(r"[A-Za-z]+(?:,[A-Za-z]+)*", re.ASCII)


@dataclass(frozen=True)
class HistoryQuery:
    """A history read (BO §4.4): the page, its cursor (an event's sequence number) and the
    ``filter[eventType]`` types (none: all)."""

    page: jsonapi.CursorPage
    before_id: int | None
    event_types: tuple[str, ...]


def history_query(request: Request) -> HistoryQuery:
    """The cursor and ``filter[eventType]`` (ASCII letters, comma-separated); anything else is 011."""
    page = jsonapi.parse_cursor_query(request, ("eventType",))
    if page.position is not None and (not isinstance(page.position, int) or isinstance(page.position, bool)):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    named = page.filters.get("eventType")
    if named is not None and not _EVENT_TYPES.fullmatch(named):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    return HistoryQuery(page, page.position, tuple(named.split(",")) if named else ())


def render_history(request: Request, query: HistoryQuery, found: Sequence[Any]) -> Response:
    """One page of ``history-events``, newest first; ``found`` holds one event past the page when
    there is a next one."""
    items = list(found[: query.page.limit])
    next_position = items[-1].id if len(found) > query.page.limit else None
    return render_page(request, HistoryEventSchema, items, query.page, next_position)


def time_page_links(request: Request, page: jsonapi.CursorPage, found: list[Any]) -> dict[str, Any]:
    """The links of a page newest first by (createdAt, id), ``found`` holding one row more than the
    page when there is a next one."""
    last = found[page.limit - 1] if len(found) > page.limit else None
    position = [last.created_at.isoformat(), last.id] if last else None
    return jsonapi.cursor_links(request, page, position, services(request).settings.public_base_url)
