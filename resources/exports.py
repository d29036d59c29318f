"""``GET …/{ref}/data-export`` on both faces (BO §4.11): a ``customer-data-export`` document,
served as an attachment."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import Avatar
from app.services.exports import CustomerExport
from resources._rendering import schema_for
from resources.backoffice.access_requests import access_request_resource
from resources.backoffice.customers import caller
from resources.backoffice.payment_instruments import instrument_resource
from resources.storefront.addresses import render_addresses
from resources.storefront.avatars import avatar_headers
from schemas.backoffice.customers import BackofficeCustomerSchema, HistoryEventSchema
from schemas.backoffice.points import PointsTransferSchema
from schemas.backoffice.push_tokens import BackofficePushTokenSchema
from schemas.orders import BackofficeOrderSchema

__all__ = ["backoffice_export", "storefront_export"]

TYPE = "customer-data-export"


def _resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": item["id"], **item.get("attributes", {})} for item in document["data"]]


def _avatar(request: Request, prefix: str, reference: str, avatar: Avatar | None) -> dict[str, Any] | None:
    """BO §4.11's type, size, updatedAt and base64 data, with what the avatar's GET sends beside the
    image (dimensions, ETag) and that GET's URL on the export's face."""
    if avatar is None:
        return None
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    return {
        "type": avatar.content_type,
        "size": avatar.size,
        "width": avatar.width,
        "height": avatar.height,
        "etag": avatar_headers(avatar)["ETag"],
        "updatedAt": avatar.updated_at.isoformat(),
        "url": f"{base}{prefix}/customers/{reference}/avatar",
        "data": base64.b64encode(avatar.data).decode("ascii"),
    }


async def _render(request: Request, export: CustomerExport, prefix: str) -> Response:
    """The export's parts in their back-office resources' attributes (CB §1), each with its id;
    a payment instrument's without ``providerToken``; an access request's with its store and
    history."""
    reference = export.customer.reference
    store = export.customer.store
    customer = schema_for(request, BackofficeCustomerSchema).dump(export.customer)["data"]
    history = schema_for(request, HistoryEventSchema, many=True).dump(export.history)
    push_tokens = schema_for(
        request, BackofficePushTokenSchema, customer_reference=reference, many=True
    ).dump(export.push_tokens)
    transfers = schema_for(
        request, PointsTransferSchema, customer_reference=reference, prefix=prefix, many=True
    ).dump(export.points_transfers)
    orders = schema_for(request, BackofficeOrderSchema, store=store, many=True).dump(export.orders)
    instruments = [instrument_resource(request, item) for item in export.payment_instruments]
    for instrument in instruments:
        del instrument["attributes"]["providerToken"]
    access_requests = [await access_request_resource(request, found) for found in export.access_requests]
    document = {
        "data": {
            "type": TYPE,
            "id": reference,
            "attributes": {
                "exportedAt": export.exported_at.isoformat(),
                "customer": {"id": reference, **customer["attributes"]},
                "addresses": _resources(render_addresses(request, reference, export.addresses)),
                "sessions": export.sessions,
                "pushTokens": _resources(push_tokens),
                "avatar": _avatar(request, prefix, reference, export.avatar),
                "pointsTransfers": _resources(transfers),
                "history": _resources(history),
                "pendingCredentialChanges": export.pending_credential_changes,
                "auditEvents": export.audit_events,
                "importRows": export.import_rows,
                "orders": _resources(orders),
                "paymentInstruments": _resources({"data": instruments}),
                "companyUsers": export.company_users,
                "accessRequests": _resources({"data": access_requests}),
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
    export = await services(request).exports.export(request.path_params["reference"], caller(request))
    return await _render(request, export, "/backoffice")


async def storefront_export(request: Request) -> Response:
    """The customer's own export (the route's rule: the owner's token)."""
    jsonapi.parse_query(request, fields_by_type={})
    reference = principal(request).customer.reference
    return await _render(request, await services(request).exports.export(reference, None), "")
