"""``/backoffice/customer-imports`` (BO §4.7): upload a CSV file or a JSON:API document of
customers (checked as a whole, stored as a queued job: 202), follow its progress, read its rows'
results. The jobs worker creates the customers (``app.services.imports``)."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from errors import ApiError, catalogue
from resources._rendering import schema_for
from resources.backoffice._common import render_page, time_position
from resources.backoffice.customers import caller
from resources.backoffice.import_files import REQUIRED, parse_csv, parse_json
from schemas.backoffice.customer_imports import CustomerImportRowSchema, CustomerImportSchema

__all__ = ["import_checks", "create_import", "list_imports", "get_import", "list_import_rows", "CSV"]

TYPE = "customer-imports"
CSV = "text/csv"
ROW_STATUSES = ("succeeded", "failed")


def _is_csv(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == CSV


def import_checks(request: Request) -> None:
    """The back-office's step before the access rule: a body is CSV or JSON:API (else 415)."""
    if not _is_csv(request):
        jsonapi.check_body_media_type(request)


def _render(
    request: Request, job: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return jsonapi.document_response(schema_for(request, CustomerImportSchema).dump(job), status, headers)


async def create_import(request: Request) -> Response:
    settings = services(request).settings
    required = (*REQUIRED, "phone") if settings.activation_method == "sms" else REQUIRED
    if _is_csv(request):
        body = await request.body()
        rows, import_format = (
            await anyio.to_thread.run_sync(lambda: parse_csv(body, settings.import_max_rows, required)),
            "csv",
        )
    else:
        attributes = await jsonapi.read_attributes(request, TYPE)
        rows, import_format = parse_json(attributes, settings.import_max_rows), "json"
    job = await services(request).imports.create(import_format, rows, caller(request))
    location = schema_for(request, CustomerImportSchema).generate_url(
        "/backoffice/customer-imports/{id}", id=job.id
    )
    return _render(request, job, 202, {"Location": location})


async def list_imports(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ())
    found = await services(request).imports.list_of(
        caller(request), time_position(page.position), page.limit + 1
    )
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    return render_page(
        request, CustomerImportSchema, items, page, [last.created_at.isoformat(), last.id] if last else None
    )


async def get_import(request: Request) -> Response:
    return _render(request, await services(request).imports.find(request.path_params["id"], caller(request)))


async def list_import_rows(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ("status",))
    status = page.filters.get("status")
    if status is not None and status not in ROW_STATUSES:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER, parameter="filter[status]")
    if page.position is not None and (not isinstance(page.position, int) or isinstance(page.position, bool)):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER, parameter="page[cursor]")
    import_id = request.path_params["id"]
    found = await services(request).imports.rows(
        import_id, caller(request), status, page.position, page.limit + 1
    )
    items = found[: page.limit]
    next_position = items[-1].row if len(found) > page.limit else None
    document = schema_for(request, CustomerImportRowSchema, import_id=import_id, many=True).dump(items)
    document["links"] = {
        **document.get("links", {}),
        **jsonapi.cursor_links(request, page, next_position, services(request).settings.public_base_url),
    }
    return jsonapi.document_response(document)
