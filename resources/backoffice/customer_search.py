"""``GET /backoffice/customers`` (the search, BO §4.5) and ``GET /backoffice/customer-registrations``
(registration statistics, BO §4.6)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import audit_actor, backoffice_principal, services
from app.services.search import SearchPaging, SearchResult, SearchScope
from app.services.statistics import INTERVALS, MAX_LAST_DAYS
from errors import ApiError
from resources._rendering import schema_for
from schemas.backoffice.customer_registrations import CustomerRegistrationSchema
from schemas.backoffice.customer_search import CustomerSearchSchema

__all__ = ["search_customers", "customer_registrations"]

_FILTER = re.compile(r"^filter\[([A-Za-z0-9_-]+)\]$")
_PAGE = ("page[offset]", "page[limit]", "page[cursor]")
_RESERVED = {"include", "fields", "page", "sort", "filter"}
MAX_LIMIT = 100


@dataclass
class _Query:
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str | None = None
    page: dict[str, str] = field(default_factory=dict)


def _parse(request: Request, *, sortable: bool, pages: tuple[str, ...]) -> _Query:
    """The query's filters (repeatable names kept in order), ``sort`` and page parameters; a NUL, a
    repeated sort or page parameter, or another parameter JSON:API reserves: 011."""
    query = _Query()
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise ApiError.query(name)
        match = _FILTER.match(name)
        if match:
            query.filters.setdefault(match.group(1), []).append(value)
        elif name == "sort" and sortable and query.sort is None:
            query.sort = value
        elif name in pages and name not in query.page:
            query.page[name] = value
        else:
            family = name.split("[", 1)[0]
            if family in _RESERVED or family.isalpha() and family.islower():
                raise ApiError.query(name)
    return query


def _number(query: _Query, name: str, default: int, minimum: int) -> int:
    value = query.page.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < minimum:
        raise ApiError.query(name)
    return int(value)


def _fingerprinted(query: _Query) -> dict[str, str]:
    """What a cursor is minted for: the filters and the sort."""
    named = {f"filter[{name}]": "\x1f".join(values) for name, values in query.filters.items()}
    named["sort"] = query.sort or ""
    return named


def _paging(query: _Query) -> SearchPaging:
    limit = _number(query, "page[limit]", jsonapi.CURSOR_DEFAULT_LIMIT, 1)
    if limit > MAX_LIMIT:
        raise ApiError.query("page[limit]")
    if "page[cursor]" in query.page:
        if "page[offset]" in query.page:
            raise ApiError.query("page[offset]")
        cursor = query.page["page[cursor]"]
        position = jsonapi.decode_cursor(cursor, _fingerprinted(query)) if cursor else None
        return SearchPaging(limit=limit, offset=None, position=position)
    return SearchPaging(limit=limit, offset=_number(query, "page[offset]", 0, 0))


def _links(request: Request, query: _Query, paging: SearchPaging, found: SearchResult) -> dict[str, object]:
    base = services(request).settings.public_base_url
    if paging.offset is None:
        page = jsonapi.CursorPage(limit=paging.limit, position=paging.position, filters=_fingerprinted(query))
        return jsonapi.cursor_links(request, page, found.next_position, base)
    total = found.total or 0
    ceiling = services(request).settings.search_max_offset
    following = paging.offset + paging.limit
    last = max((total - 1) // paging.limit * paging.limit, 0)
    return jsonapi.offset_links(
        request,
        paging.offset,
        paging.limit,
        has_next=following < total and following + paging.limit <= ceiling,
        last_offset=last if found.total_exact and last + paging.limit <= ceiling else None,
        public_base_url=base,
    )


async def search_customers(request: Request) -> Response:
    caller = backoffice_principal(request)
    query = _parse(request, sortable=True, pages=_PAGE)
    paging = _paging(query)
    scope = SearchScope(stores=caller.stores, seller=caller.role == "seller")
    found = await services(request).search.search(query.filters, query.sort, paging, scope)
    await services(request).audit.append(
        audit_actor(request, caller),
        details={"filters": list(found.filter_names), "references": [hit.reference for hit in found.hits]},
    )
    document = schema_for(request, CustomerSearchSchema, many=True).dump(found.hits)
    if found.total is not None:
        document["meta"] = {"total": found.total, "totalExact": found.total_exact}
    document["links"] = _links(request, query, paging, found)
    return jsonapi.document_response(document)


async def customer_registrations(request: Request) -> Response:
    caller = backoffice_principal(request)
    query = _parse(request, sortable=False, pages=())
    allowed = {"interval", "lastDays", "store"}
    for name, values in query.filters.items():
        if name not in allowed or len(values) != 1:
            raise ApiError.query(f"filter[{name}]")
    interval = query.filters.get("interval", ["day"])[0]
    if interval not in INTERVALS:
        raise ApiError.query("filter[interval]")
    days = query.filters.get("lastDays", ["30"])[0]
    if not days.isascii() or not days.isdigit() or not 1 <= int(days) <= MAX_LAST_DAYS:
        raise ApiError.query("filter[lastDays]")
    stores = services(request).stores
    named = query.filters.get("store", [caller.stores[0] if caller.stores else stores.default.code])[0]
    store = stores.find(named) if named.strip() else None
    if store is None or (caller.stores is not None and store.code not in caller.stores):
        raise ApiError.query("filter[store]")
    found = await services(request).statistics.registrations(store, interval, int(days))
    document = schema_for(request, CustomerRegistrationSchema, many=True).dump(found.periods)
    document["meta"] = {
        "interval": found.interval,
        "lastDays": found.last_days,
        "store": found.store,
        "timeZone": found.time_zone,
        "total": found.total,
    }
    return jsonapi.document_response(document)
