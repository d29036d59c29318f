"""``/customers/{reference}/orders[/{orderNumber}]``: the owner's order history (CB §6.4)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, request_store, services
from app.models import Order
from app.services.orders import ORDER_STATUSES
from resources._rendering import only_fields, schema_for
from schemas.orders import ORDER_FIELDS, OrderSchema

__all__ = ["list_orders", "get_order"]

TYPE = "orders"
SORTS = ("-orderDate", "orderDate")


def _render(
    request: Request, reference: str, orders: Order | list[Order], only: tuple[str, ...] | None
) -> dict:  # type: ignore[type-arg]
    schema = schema_for(
        request,
        OrderSchema,
        customer_reference=reference,
        only=only_fields(OrderSchema, only),
        many=isinstance(orders, list),
    )
    document: dict = schema.dump(orders)  # type: ignore[type-arg]
    return document


async def list_orders(request: Request) -> Response:
    customer = principal(request).customer
    query = jsonapi.parse_list_query(
        request, fields_by_type={TYPE: ORDER_FIELDS}, sorts=SORTS, filters={"status": ORDER_STATUSES}
    )
    page = await services(request).orders.list_for_customer(
        customer.id,
        customer.reference,
        status=query.filters.get("status"),
        newest_first=query.sort == "-orderDate",
        offset=query.offset,
        limit=query.limit,
    )
    document = _render(request, customer.reference, list(page.orders), query.resource.only(TYPE))
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    jsonapi.add_offset_paging(document, request, base, query, page.total)
    return jsonapi.document_response(document)


async def get_order(request: Request) -> Response:
    customer = principal(request).customer
    query = jsonapi.parse_query(request, fields_by_type={TYPE: ORDER_FIELDS})
    order = await services(request).orders.get_for_customer(
        customer.id, request_store(request).code, request.path_params["order_number"]
    )
    return jsonapi.document_response(_render(request, customer.reference, order, query.only(TYPE)))
