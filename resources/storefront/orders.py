"""``/customers/{reference}/orders[/{orderNumber}]``: the owner's order history, and
``/companies/{id|mine}/orders``: its company's orders for a company admin (CB §6.4)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, request_store, services
from app.models import Order, OrderPage
from app.services.orders import ORDER_STATUSES
from resources._rendering import only_fields, schema_for
from schemas.orders import COMPANY_ORDER_FIELDS, ORDER_FIELDS, CompanyOrderSchema, OrderSchema

__all__ = ["list_orders", "get_order", "list_company_orders"]

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


def _list_query(request: Request, fields: tuple[str, ...]) -> jsonapi.ListQuery:
    """Offset paging, ``sort`` ±orderDate and ``filter[status]``, as every order list takes them."""
    return jsonapi.parse_list_query(
        request, fields_by_type={TYPE: fields}, sorts=SORTS, filters={"status": ORDER_STATUSES}
    )


def _paged(request: Request, document: dict, query: jsonapi.ListQuery, page: OrderPage) -> Response:  # type: ignore[type-arg]
    base = jsonapi.base_url(request, services(request).settings.public_base_url)
    jsonapi.add_offset_paging(document, request, base, query, page.total)
    return jsonapi.document_response(document)


async def list_orders(request: Request) -> Response:
    customer = principal(request).customer
    query = _list_query(request, ORDER_FIELDS)
    page = await services(request).orders.list_for_customer(
        customer.id,
        customer.reference,
        status=query.filters.get("status"),
        newest_first=query.sort == "-orderDate",
        offset=query.offset,
        limit=query.limit,
    )
    document = _render(request, customer.reference, list(page.orders), query.resource.only(TYPE))
    return _paged(request, document, query, page)


async def get_order(request: Request) -> Response:
    customer = principal(request).customer
    query = jsonapi.parse_query(request, fields_by_type={TYPE: ORDER_FIELDS})
    order = await services(request).orders.get_for_customer(
        customer.id, request_store(request).code, request.path_params["order_number"]
    )
    return jsonapi.document_response(_render(request, customer.reference, order, query.only(TYPE)))


async def list_company_orders(request: Request) -> Response:
    """The route table has checked the company token and its admin role (1102, 1103)."""
    member = principal(request).company_user
    assert member is not None
    company = services(request).company_users.company_of(member, request.path_params["company_id"])
    query = _list_query(request, COMPANY_ORDER_FIELDS)
    page = await services(request).orders.list_for_company(
        company.id,
        status=query.filters.get("status"),
        newest_first=query.sort == "-orderDate",
        offset=query.offset,
        limit=query.limit,
    )
    schema = schema_for(
        request,
        CompanyOrderSchema,
        company=company.id,
        only=only_fields(CompanyOrderSchema, query.resource.only(TYPE)),
        many=True,
    )
    return _paged(request, schema.dump(list(page.orders)), query, page)
