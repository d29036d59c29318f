"""The JSON:API edge: media types, request documents, query parameters, rendering and errors.

Everything JSON:API-shaped lives here. Services receive plain values and never see a document.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from marshmallow import ValidationError, missing
from starlette.requests import Request
from starlette.responses import Response

from errors import ApiError, Problem, catalogue

__all__ = [
    "MEDIA_TYPE",
    "ResourceQuery",
    "accept_is_acceptable",
    "check_body_media_type",
    "read_attributes",
    "read_json_body",
    "parse_query",
    "ListQuery",
    "parse_list_query",
    "add_offset_paging",
    "load_attributes",
    "AttributesLoader",
    "document_response",
    "empty_response",
    "error_document",
    "error_response",
    "base_url",
    "add_included",
    "CursorPage",
    "parse_cursor_query",
    "cursor_links",
    "decode_cursor",
    "offset_links",
]

MEDIA_TYPE = "application/vnd.api+json"
_ALLOWED_MEDIA_PARAMETERS = {"ext", "profile"}
_ACCEPTABLE_TYPES = {"*/*", "application/*", "application/json", MEDIA_TYPE}
_MEMBER_FAMILIES = {"include", "fields", "page", "sort", "filter"}
_FIELDS_PARAMETER = re.compile(r"^fields\[([A-Za-z0-9_-]+)\]$")


def _media_type_and_parameters(value: str) -> tuple[str, set[str]]:
    parts = [part.strip() for part in value.split(";")]
    parameters = {part.split("=", 1)[0].strip().lower() for part in parts[1:] if part}
    return parts[0].lower(), parameters


def accept_is_acceptable(accept: str | None) -> bool:
    """JSON:API §content negotiation, relaxed as Glue is: missing or any JSON type is fine."""
    if not accept or not accept.strip():
        return True
    offered = [_media_type_and_parameters(item) for item in accept.split(",") if item.strip()]
    json_api = [params for media, params in offered if media == MEDIA_TYPE]
    if json_api and all(params - _ALLOWED_MEDIA_PARAMETERS - {"q"} for params in json_api):
        # Every JSON:API media type carries parameters we do not serve; other JSON types may rescue it.
        return any(media in _ACCEPTABLE_TYPES - {MEDIA_TYPE} for media, _ in offered)
    return any(media in _ACCEPTABLE_TYPES for media, _ in offered)


def _check_content_type(request: Request) -> None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise ApiError(catalogue.UNSUPPORTED_MEDIA_TYPE)
    media, parameters = _media_type_and_parameters(content_type)
    if media == MEDIA_TYPE and not parameters - _ALLOWED_MEDIA_PARAMETERS:
        return
    if media == "application/json" and not parameters - {"charset"}:
        return
    raise ApiError(catalogue.UNSUPPORTED_MEDIA_TYPE)


_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


def check_body_media_type(request: Request) -> None:
    """415 for a body sent with a media type we do not read, before any other check looks at the
    request (a body-less request is judged by the endpoint that needs one)."""
    if request.method not in _BODY_METHODS:
        return
    headers = request.headers
    length = headers.get("content-length", "0").strip()
    has_body = "transfer-encoding" in headers or not (length.isdigit() and int(length) == 0)
    if has_body or "content-type" in headers:
        _check_content_type(request)


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key!r}")
        document[key] = value
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):  # 1e999 would otherwise arrive as infinity
        raise ValueError(f"{literal!r} is out of range")
    return number


def _refuse_unpaired_surrogates(text: str) -> str:
    # JSON escapes can spell a lone surrogate ("\\ud800"), which is no Unicode text: it cannot be stored.
    if _UNPAIRED_SURROGATE.search(text):
        raise ValueError("unpaired surrogate")
    return text


_UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        _refuse_unpaired_surrogates(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unpaired_surrogates(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


async def read_json_body(request: Request) -> Any:
    """The parsed JSON body: strict UTF-8 and Unicode, no duplicate keys, NaN or overflowing numbers,
    bounded depth (else 013)."""
    _check_content_type(request)
    body = await request.body()  # the body-limit middleware answers 413 before this grows too large
    try:
        text = body.decode("utf-8")
        document = json.loads(
            text,
            object_pairs_hook=_refuse_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
        _check_strings(document)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(catalogue.INVALID_DOCUMENT) from None
    return document


async def read_attributes(
    request: Request, resource_type: str, resource_id: str | None = None
) -> dict[str, Any]:
    """The ``attributes`` of a request document for ``resource_type``, after the shape checks."""
    document = await read_json_body(request)
    if not isinstance(document, dict):
        raise ApiError(catalogue.INVALID_DOCUMENT)
    data = document.get("data")
    if not isinstance(data, dict):
        raise ApiError(catalogue.INVALID_DOCUMENT)
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict) or not isinstance(data.get("type"), str):
        raise ApiError(catalogue.INVALID_DOCUMENT)
    if data["type"] != resource_type:
        raise ApiError(catalogue.INVALID_TYPE)
    if "id" in data and resource_id is not None and data["id"] != resource_id:
        raise ApiError(catalogue.RESOURCE_ID_MISMATCH)
    return attributes


def load_attributes(
    schema_class: type[Any], resource_type: str, attributes: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate ``attributes`` with a marshmallow-jsonapi schema; failures become 901 errors."""
    try:
        loaded: dict[str, Any] = _loader(schema_class).load(
            {"data": {"type": resource_type, "attributes": dict(attributes)}}, partial=partial
        )
    except ValidationError as error:
        raise ApiError.of(_validation_problems(error.messages)) from None
    return loaded


class AttributesLoader:
    """``load_attributes`` of one schema compiled for many documents (a bulk import's rows).

    A valid document loads through the schema's own fields, each deserialising and validating its
    value as the schema's load does, without a document built and unwrapped per row; a document
    with any problem is loaded again through ``load_attributes``, so its errors (details, pointers,
    order) are exactly the schema's. A schema with validators or processors of its own would be
    skipped here, so it is refused when compiled."""

    # What a load may run besides the fields; only marshmallow-jsonapi's unwrapping is expected.
    _LOAD_HOOKS = {"pre_load": ["unwrap_request"], "post_load": [], "validates": [], "validates_schema": []}

    def __init__(self, schema_class: type[Any], resource_type: str) -> None:
        schema = _loader(schema_class)
        for tag, expected in self._LOAD_HOOKS.items():
            if [hook[0] for hook in schema._hooks.get(tag, [])] != expected:
                raise TypeError(f"{schema_class.__name__} has {tag} hooks a compiled load would skip")
        self._schema_class = schema_class
        self._resource_type = resource_type
        # (wire name, field, key loaded into); fields without a value to load when absent are
        # skipped for absent members, as the schema's load leaves them out too.
        self._fields = [
            (
                field.data_key or name,
                field,
                field.attribute or name,
                field.required or field.load_default is not missing,
            )
            for name, field in schema.load_fields.items()
        ]

    def __call__(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        loaded: dict[str, Any] = {}
        try:
            for wire_name, field_object, key, when_absent in self._fields:
                raw = attributes.get(wire_name, missing)
                if raw is missing and not when_absent:
                    continue
                value = field_object.deserialize(raw, wire_name, attributes)
                if value is not missing:
                    loaded[key] = value
        except ValidationError:
            return load_attributes(self._schema_class, self._resource_type, attributes)
        return loaded


_LOADERS: dict[type[Any], Any] = {}


def _loader(schema_class: type[Any]) -> Any:
    """One schema instance per class: building one costs more than loading a document with it,
    and a load keeps no state between calls."""
    loader = _LOADERS.get(schema_class)
    if loader is None:
        loader = _LOADERS[schema_class] = schema_class()
    return loader


_ATTRIBUTES_POINTER = "/data/attributes/"


def _validation_problems(messages: Any) -> list[Problem]:
    problems = []
    for item in messages.get("errors", []) if isinstance(messages, dict) else []:
        pointer = item.get("source", {}).get("pointer", "/data")
        # A member of an object attribute keeps its path: company/taxId (detail: company.taxId).
        attribute = (
            pointer.removeprefix(_ATTRIBUTES_POINTER)
            if pointer.startswith(_ATTRIBUTES_POINTER)
            else pointer.rsplit("/", 1)[-1]
        )
        problems.append(
            Problem(
                catalogue.VALIDATION_FAILED,
                attribute,
                {"field": attribute.replace("/", "."), "message": item["detail"]},
            )
        )
    if not problems:
        problems.append(Problem(catalogue.INVALID_DOCUMENT))
    return sorted(problems, key=lambda problem: (problem.attribute or "", problem.detail))


@dataclass(frozen=True)
class ResourceQuery:
    include: tuple[str, ...] = ()
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def only(self, resource_type: str) -> tuple[str, ...] | None:
        return self.fields.get(resource_type)


def parse_query(
    request: Request,
    *,
    fields_by_type: Mapping[str, Iterable[str]],
    includes: Sequence[str] = (),
) -> ResourceQuery:
    """``include`` and ``fields[TYPE]``; anything else JSON:API reserves is refused with 011."""
    return _parse_resource_query(
        request.query_params.multi_items(), fields_by_type=fields_by_type, includes=includes
    )


def _parse_resource_query(
    parameters: Iterable[tuple[str, str]],
    *,
    fields_by_type: Mapping[str, Iterable[str]],
    includes: Sequence[str],
) -> ResourceQuery:
    include: tuple[str, ...] = ()
    sparse: dict[str, tuple[str, ...]] = {}
    for name, value in parameters:
        if name == "include":
            include = tuple(part for part in value.split(",") if part)
            if any(path not in includes for path in include):
                raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
            continue
        match = _FIELDS_PARAMETER.match(name)
        if match:
            resource_type = match.group(1)
            known = set(fields_by_type.get(resource_type, ()))
            requested = tuple(part for part in value.split(",") if part)
            if not known or any(part not in known for part in requested):
                raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
            sparse[resource_type] = requested
            continue
        family = name.split("[", 1)[0]
        # JSON:API: a parameter made only of a-z letters is reserved for the spec; names with other
        # characters are implementation-specific and may be ignored.
        if family in _MEMBER_FAMILIES or family.isalpha() and family.islower():
            raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    return ResourceQuery(include=include, fields=sparse)


_FILTER_PARAMETER = re.compile(r"^filter\[([A-Za-z0-9_-]+)\]$")
CURSOR_DEFAULT_LIMIT = 10
CURSOR_MAX_LIMIT = 100


@dataclass(frozen=True)
class CursorPage:
    """A cursor-paged collection's query (CB §1): the page size, the position after which it
    starts (None: the first page) and the filters named."""

    limit: int
    position: Any
    filters: dict[str, str]

    def fingerprint(self) -> str:
        return _filters_fingerprint(self.filters)


def _filters_fingerprint(filters: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(filters.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _decode_cursor(value: str, fingerprint: str) -> Any:
    """A cursor minted for these filters: its position, else 011."""
    try:
        padded = value + "=" * (-len(value) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER) from None
    if not isinstance(decoded, list) or len(decoded) != 2 or decoded[1] != fingerprint:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    return decoded[0]


def _encode_cursor(position: Any, fingerprint: str) -> str:
    raw = json.dumps([position, fingerprint], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_cursor_query(request: Request, filters: Iterable[str]) -> CursorPage:
    """``page[limit]`` (1-100, default 10), ``page[cursor]`` (empty: the first page) and the listed
    ``filter[NAME]`` once each; anything else JSON:API reserves, a repeat, a value out of range or a
    cursor minted for other filters: 011."""
    allowed = set(filters)
    seen: set[str] = set()
    limit = CURSOR_DEFAULT_LIMIT
    cursor = ""
    named: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        # A NUL is no text a database column compares with; PostgreSQL refuses it outright.
        if name in seen or "\x00" in value:
            raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
        seen.add(name)
        match = _FILTER_PARAMETER.match(name)
        if name == "page[limit]":
            if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= CURSOR_MAX_LIMIT:
                raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
            limit = int(value)
        elif name == "page[cursor]":
            cursor = value
        elif match and match.group(1) in allowed:
            named[match.group(1)] = value
        else:
            family = name.split("[", 1)[0]
            if family in _MEMBER_FAMILIES or family.isalpha() and family.islower():
                raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    fingerprint = _filters_fingerprint(named)
    position = _decode_cursor(cursor, fingerprint) if cursor else None
    return CursorPage(limit=limit, position=position, filters=named)


def cursor_links(
    request: Request, page: CursorPage, next_position: Any, public_base_url: str
) -> dict[str, Any]:
    """``self`` and ``next`` (null at the end) of a cursor-paged collection; the query percent-encoded
    as RFC 3986 wants it (``page%5Blimit%5D``)."""
    url = base_url(request, public_base_url) + request.url.path
    parameters = list(request.query_params.multi_items())
    links: dict[str, Any] = {"self": _with_query(url, parameters), "next": None}
    if next_position is not None:
        following = [(name, value) for name, value in parameters if name != "page[cursor]"]
        following.append(("page[cursor]", _encode_cursor(next_position, page.fingerprint())))
        links["next"] = _with_query(url, following)
    return links


def decode_cursor(value: str, filters: Mapping[str, str], parameter: str = "page[cursor]") -> Any:
    """The position of a cursor minted for ``filters``, else 011 naming ``parameter``."""
    try:
        return _decode_cursor(value, _filters_fingerprint(filters))
    except ApiError:
        raise ApiError.query(parameter) from None


def offset_links(
    request: Request,
    offset: int,
    limit: int,
    *,
    has_next: bool,
    last_offset: int | None,
    public_base_url: str,
) -> dict[str, Any]:
    """``self``, ``first``, ``prev``, ``next`` and ``last`` of an offset-paged collection (``next``
    and ``last`` null when the caller has none to give)."""
    url = base_url(request, public_base_url) + request.url.path
    parameters = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in ("page[offset]", "page[limit]")
    ]

    def at(position: int) -> str:
        return _with_query(url, [*parameters, ("page[offset]", str(position)), ("page[limit]", str(limit))])

    return {
        "self": at(offset),
        "first": at(0),
        "prev": at(max(offset - limit, 0)) if offset > 0 else None,
        "next": at(offset + limit) if has_next else None,
        "last": at(last_offset) if last_offset is not None else None,
    }


def _with_query(url: str, parameters: list[tuple[str, str]]) -> str:
    if not parameters:
        return url
    return (
        url + "?" + "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in parameters)
    )


_PAGE_PARAMETER = re.compile(r"^page\[([A-Za-z0-9_-]+)\]$")
PAGE_LIMIT_MAX = 100
# Past this no list holds rows; a larger offset is refused rather than sent to the database.
PAGE_OFFSET_MAX = 2**31 - 1


@dataclass(frozen=True)
class ListQuery:
    """An offset-paged list's query (CB §1): page, sort, filters and sparse fieldsets."""

    offset: int
    limit: int
    sort: str
    filters: dict[str, str]
    resource: ResourceQuery


def _bounded_integer(value: str, minimum: int, maximum: int) -> int:
    if not value.isascii() or not value.isdigit() or not minimum <= int(value) <= maximum:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    return int(value)


def parse_list_query(
    request: Request,
    *,
    fields_by_type: Mapping[str, Iterable[str]],
    sorts: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    default_limit: int = 20,
) -> ListQuery:
    """``page[offset]``, ``page[limit]`` (1–100), ``sort`` (the first of ``sorts`` by default) and
    ``filter[NAME]`` of the listed values; anything else, repeated or out of range, is 011."""
    offset, limit, sort = 0, default_limit, sorts[0]
    chosen: dict[str, str] = {}
    names = [name for name, _ in request.query_params.multi_items()]
    if len(names) != len(set(names)):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    rest: list[tuple[str, str]] = []
    for name, value in request.query_params.multi_items():
        page = _PAGE_PARAMETER.match(name)
        filtered = _FILTER_PARAMETER.match(name)
        if page and page.group(1) == "offset":
            offset = _bounded_integer(value, 0, PAGE_OFFSET_MAX)
        elif page and page.group(1) == "limit":
            limit = _bounded_integer(value, 1, PAGE_LIMIT_MAX)
        elif name == "sort":
            if value not in sorts:
                raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
            sort = value
        elif filtered:
            if value not in filters.get(filtered.group(1), ()):
                raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
            chosen[filtered.group(1)] = value
        else:
            rest.append((name, value))
    resource = _parse_resource_query(rest, fields_by_type=fields_by_type, includes=())
    return ListQuery(offset=offset, limit=limit, sort=sort, filters=chosen, resource=resource)


def add_offset_paging(
    document: dict[str, Any], request: Request, base: str, query: ListQuery, total: int
) -> None:
    """``links`` (self, first, prev, next, last; null when none) and ``meta.page`` in Paloma's names."""
    kept = "".join(
        f"&{quote(name, safe='')}={quote(value, safe='')}"
        for name, value in request.query_params.multi_items()
        if not name.startswith("page[")
    )
    url = f"{base}{request.url.path}"

    def link(offset: int) -> str:
        # Brackets percent-encoded: a URI's query may not hold them bare (RFC 3986).
        return f"{url}?page%5Boffset%5D={offset}&page%5Blimit%5D={query.limit}{kept}"

    last_offset = max(0, (total - 1) // query.limit * query.limit)
    document["links"] = {
        "self": link(query.offset),
        "first": link(0),
        "prev": link(max(0, query.offset - query.limit)) if query.offset > 0 else None,
        "next": link(query.offset + query.limit) if query.offset + query.limit < total else None,
        "last": link(last_offset),
    }
    document.setdefault("meta", {})["page"] = {
        "offset": query.offset,
        "limit": query.limit,
        "size": query.limit,
        "number": query.offset // query.limit,
        "totalElements": total,
        "totalPages": -(-total // query.limit),
        "first": query.offset == 0,
        "last": query.offset + query.limit >= total,
    }


def add_included(
    document: dict[str, Any],
    relationship: str,
    related_by_id: Mapping[str, list[dict[str, Any]]],
    *,
    with_relationship: bool = True,
) -> None:
    """Compound document: ``relationships.NAME.data`` linkage and the related resources in ``included``."""
    primary = document["data"] if isinstance(document["data"], list) else [document["data"]]
    included: list[dict[str, Any]] = document.setdefault("included", [])
    seen = {(item["type"], item["id"]) for item in included}
    for resource in primary:
        related = related_by_id.get(resource["id"], [])
        if with_relationship:
            linkage = [{"type": item["type"], "id": item["id"]} for item in related]
            resource.setdefault("relationships", {})[relationship] = {"data": linkage}
        for item in related:
            if (item["type"], item["id"]) not in seen:
                seen.add((item["type"], item["id"]))
                included.append(item)


def base_url(request: Request, public_base_url: str) -> str:
    if public_base_url:
        return public_base_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def document_response(
    document: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(_dumps(document), status_code=status, headers=dict(headers or {}), media_type=MEDIA_TYPE)


def empty_response() -> Response:
    return Response(status_code=204)


def error_document(error: ApiError) -> dict[str, Any]:
    objects = []
    for problem in error.problems:
        item: dict[str, Any] = {
            "status": str(problem.entry.status),
            "code": problem.entry.code,
            "detail": problem.detail,
        }
        if problem.attribute:
            item["source"] = {"pointer": f"/data/attributes/{problem.attribute}"}
        elif problem.parameter:
            item["source"] = {"parameter": problem.parameter}
        objects.append(item)
    return {"errors": objects}


def error_response(error: ApiError) -> Response:
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="glue-customers", error="invalid_token"')
    return document_response(error_document(error), error.status, headers)
