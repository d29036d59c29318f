"""``GET …/{ref}/data-export`` on both faces (BO §4.11): a ``customer-data-export`` document,
served as an attachment."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.services.backoffice_customers import CustomerExport
from resources._rendering import schema_for
from resources.backoffice.customers import caller
from resources.storefront.addresses import render_addresses
from schemas.backoffice.customers import BackofficeCustomerSchema, HistoryEventSchema

__all__ = ["backoffice_export", "storefront_export"]

TYPE = "customer-data-export"


def _resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": item["id"], **item.get("attributes", {})} for item in document["data"]]


def _render(request: Request, export: CustomerExport) -> Response:
    reference = export.customer.reference
    customer = schema_for(request, BackofficeCustomerSchema).dump(export.customer)["data"]
    history = schema_for(request, HistoryEventSchema, many=True).dump(export.history)
    document = {
        "data": {
            "type": TYPE,
            "id": reference,
            "attributes": {
                "exportedAt": export.exported_at.isoformat(),
                "customer": {"id": reference, **customer["attributes"]},
                "addresses": _resources(render_addresses(request, reference, export.addresses)),
                "sessions": export.sessions,
                "pushTokens": [],
                "avatar": None,
                "pointsTransfers": [],
                "history": _resources(history),
                "pendingCredentialChanges": [],
                "auditEvents": export.audit_events,
                "importRows": export.import_rows,
                "companyUsers": export.company_users,
            },
        }
    }
    headers = {
        "Content-Disposition": f'attachment; filename="{reference}-data-export.json"',
        "Cache-Control": "no-store",
    }
    return jsonapi.document_response(document, headers=headers)


async def backoffice_export(request: Request) -> Response:
    jsonapi.parse_query(request, fields_by_type={})
    found = services(request)
    export = await found.backoffice_customers.export(
        request.path_params["reference"], caller(request), found.addresses
    )
    return _render(request, export)


async def storefront_export(request: Request) -> Response:
    """The customer's own export (the route's rule: the owner's token)."""
    jsonapi.parse_query(request, fields_by_type={})
    found = services(request)
    reference = principal(request).customer.reference
    export = await found.backoffice_customers.export(reference, None, found.addresses)
    return _render(request, export)
