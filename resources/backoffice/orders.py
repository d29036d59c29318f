"""``/backoffice/stores/{store}/orders``, ``…/order-batches``, ``…/orders/{orderNumber}``: the
commerce system's ingest (K, ``commerce:write``) and the operators' read (CB §6.2);
``/backoffice/customers/{ref}/orders``: a customer's orders, cursor-paged newest first (CB §8.2).

Each store endpoint takes the store from the path (an unknown store, or one outside the caller's
stores, is 007); the route's access rule has checked the caller's permission. An ingest request is
one audit entry naming the customers it touched; a read naming a customer is audited too."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import jsonapi
from app.access import principal, services
from app.models import IngestResult, Order
from app.services.orders import CREATED, ORDER_STATUSES, Audited
from app.stores import Store
from errors import ApiError, catalogue
from resources._rendering import schema_for
from resources.backoffice.customers import caller
from schemas.orders import BackofficeOrderSchema, load_order, load_order_batch, load_status_change

__all__ = [
    "ingest_order",
    "ingest_order_batch",
    "change_order_status",
    "get_order",
    "list_customer_orders",
    "path_store",
]

TYPE = "orders"
BATCH_TYPE = "order-batches"


def path_store(request: Request) -> Store:
    """The store the path names (``{store}``, any letter case); unknown, or not one of the caller's
    stores (BO §2: another store in a path is 007): 007."""
    found = services(request).stores.find(request.path_params["store"])
    allowed = getattr(principal(request), "stores", None)
    if found is None or (allowed is not None and found.code not in allowed):
        raise ApiError(catalogue.NOT_FOUND)
    return found


def _audited(request: Request, store: Store) -> Audited:
    """The request's one audit entry, in the ingest's transaction (BO §4.12)."""
    who = caller(request)

    async def audited(references: Sequence[str]) -> None:
        await services(request).audit.append(
            who.audit,
            customer_reference=references[0] if len(references) == 1 else None,
            store=store.code,
            details={"customerReferences": list(references)},
        )

    return audited


def _document(request: Request, store: Store, order: Order) -> dict:  # type: ignore[type-arg]
    document: dict = schema_for(request, BackofficeOrderSchema, store=store.code).dump(order)  # type: ignore[type-arg]
    return document


def _respond(request: Request, store: Store, result: IngestResult) -> Response:
    document = _document(request, store, result.order)
    document["meta"] = {"outcome": result.outcome}
    if result.outcome == CREATED:
        return jsonapi.document_response(document, 201, {"Location": document["data"]["links"]["self"]})
    return jsonapi.document_response(document)


async def ingest_order(request: Request) -> Response:
    store = path_store(request)
    fields = load_order(await jsonapi.read_attributes(request, TYPE))
    result = await services(request).orders.ingest(store, fields, _audited(request, store))
    return _respond(request, store, result)


async def ingest_order_batch(request: Request) -> Response:
    store = path_store(request)
    attributes = await jsonapi.read_attributes(request, BATCH_TYPE)
    rows = load_order_batch(attributes, services(request).settings.order_batch_max)
    results = await services(request).orders.ingest_batch(store, rows, _audited(request, store))
    counts = {outcome: 0 for outcome in ("created", "updated", "unchanged", "stale")}
    for result in results:
        counts[result.outcome] += 1
    document = {
        "data": {
            "type": BATCH_TYPE,
            "id": str(uuid.uuid4()),  # not stored: the batch is no resource to fetch again
            "attributes": {
                **counts,
                "results": [
                    {"orderNumber": result.order.order_number, "outcome": result.outcome}
                    for result in results
                ],
            },
        }
    }
    return jsonapi.document_response(document)


async def change_order_status(request: Request) -> Response:
    store = path_store(request)
    order_number = request.path_params["order_number"]
    await services(request).orders.get(store, order_number)  # 1130 before the body is judged
    fields = load_status_change(await jsonapi.read_attributes(request, TYPE, order_number))
    result = await services(request).orders.change_status(
        store, order_number, fields["status"], fields["source_updated_at"], _audited(request, store)
    )
    return _respond(request, store, result)


async def get_order(request: Request) -> Response:
    store = path_store(request)
    order = await services(request).orders.get(store, request.path_params["order_number"])
    await services(request).audit.append(
        caller(request).audit, customer_reference=order.customer_reference, store=store.code
    )
    return jsonapi.document_response(_document(request, store, order))


def _order_position(position: Any) -> tuple[datetime, str] | None:
    """An (orderDate, orderNumber) cursor position, else 011."""
    if position is None:
        return None
    try:
        moment, number = position
        return datetime.fromisoformat(moment), str(number)
    except (TypeError, ValueError):
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER) from None


async def list_customer_orders(request: Request) -> Response:
    page = jsonapi.parse_cursor_query(request, ("status",))
    status = page.filters.get("status")
    if status is not None and status not in ORDER_STATUSES:
        raise ApiError(catalogue.INVALID_QUERY_PARAMETER)
    after = _order_position(page.position)
    who = caller(request)
    customer = await services(request).backoffice_customers.find(request.path_params["reference"], who)
    found = await services(request).orders.page_for_customer(
        customer.id, customer.reference, status=status, after=after, limit=page.limit + 1
    )
    items = found[: page.limit]
    last = items[-1] if len(found) > page.limit else None
    await services(request).audit.append(
        who.audit, customer_reference=customer.reference, store=customer.store
    )
    document = schema_for(request, BackofficeOrderSchema, store=customer.store, many=True).dump(items)
    next_position = [last.order_date.isoformat(), last.order_number] if last else None
    document["links"] = jsonapi.cursor_links(
        request, page, next_position, services(request).settings.public_base_url
    )
    return jsonapi.document_response(document)
