"""``/backoffice/companies/{id}/invitation-symbols`` and ``…/{symbolId}`` (CB §5.3): a company's
request codes and e-mail domains. The route table has checked the caller's permission (R reads,
W writes)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import services
from app.models import InvitationSymbol
from resources.backoffice._common import time_page_links, time_position
from resources.backoffice.customers import caller
from schemas.backoffice.companies import COMPANY_TYPE
from schemas.backoffice.invitation_symbols import SYMBOL_TYPE, NewSymbolSchema, SymbolUpdateSchema

__all__ = ["list_symbols", "create_symbol", "update_symbol", "delete_symbol"]


def _base(request: Request) -> str:
    return jsonapi.base_url(request, services(request).settings.public_base_url)


def _resource(base: str, symbol: InvitationSymbol) -> dict[str, Any]:
    return {
        "type": SYMBOL_TYPE,
        "id": symbol.id,
        "attributes": {
            "kind": symbol.kind,
            "value": symbol.value,
            "role": symbol.role,
            "autoApprove": symbol.auto_approve,
            "isActive": symbol.is_active,
            "expiresAt": symbol.expires_at.isoformat() if symbol.expires_at else None,
            "maxUses": symbol.max_uses,
            "uses": symbol.uses,
            "createdAt": symbol.created_at.isoformat(),
            "updatedAt": symbol.updated_at.isoformat(),
        },
        "relationships": {"companies": {"data": {"type": COMPANY_TYPE, "id": symbol.company_id}}},
        "links": {"self": f"{base}/backoffice/companies/{symbol.company_id}/invitation-symbols/{symbol.id}"},
    }


async def list_symbols(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ())
    found = await services(request).invitation_symbols.list(
        request.path_params["company_id"], caller(request), time_position(page.position), page.limit + 1
    )
    base = _base(request)
    data = [_resource(base, item) for item in found[: page.limit]]
    return jsonapi.document_response({"data": data, "links": time_page_links(request, page, found)})


async def create_symbol(request: Request) -> Response:
    company_id = request.path_params["company_id"]
    await services(request).companies.get(company_id, caller(request).stores)  # 1106 before the document
    attributes = await jsonapi.read_attributes(request, SYMBOL_TYPE)
    loaded = jsonapi.load_attributes(NewSymbolSchema, SYMBOL_TYPE, attributes)
    symbol = await services(request).invitation_symbols.create(company_id, loaded, caller(request))
    resource = _resource(_base(request), symbol)
    return jsonapi.document_response({"data": resource}, 201, {"Location": resource["links"]["self"]})


async def update_symbol(request: Request) -> Response:
    company_id, symbol_id = request.path_params["company_id"], request.path_params["symbol_id"]
    await services(request).invitation_symbols.get(company_id, symbol_id, caller(request))  # 1106, 1127
    attributes = await jsonapi.read_attributes(request, SYMBOL_TYPE, symbol_id)
    loaded = jsonapi.load_attributes(SymbolUpdateSchema, SYMBOL_TYPE, attributes, partial=True)
    symbol = await services(request).invitation_symbols.update(company_id, symbol_id, loaded, caller(request))
    return jsonapi.document_response({"data": _resource(_base(request), symbol)})


async def delete_symbol(request: Request) -> Response:
    await services(request).invitation_symbols.remove(
        request.path_params["company_id"], request.path_params["symbol_id"], caller(request)
    )
    return jsonapi.empty_response()
