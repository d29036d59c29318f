"""The ``orders`` resource: the back-office's ingest documents and the storefront's view (CB §6).

Ingest (``POST /backoffice/stores/{store}/orders``):

{"data": {"type": "orders", "attributes": {"orderNumber": "100234", "customerReference": "DE--7",
  "orderDate": "2026-11-20T14:03:00+01:00", "status": "new", "currencyIsoCode": "EUR",
  "totals": {"grandTotal": 11990, "deliveryCosts": 490}, "sourceUpdatedAt": "2026-11-20T14:03:05+01:00",
  "items": [{"sku": "A-1001", "name": "Drill", "quantity": 1, "unitPrice": 11500}]}}}

The storefront shows ``orderNumber, orderDate`` (in UTC), ``status, currencyIsoCode, totals, items``
(each with ``sumPrice``), ``locale, companyId``; a company admin's list of its company's orders
(``GET /companies/{id|mine}/orders``) adds ``companyUserId``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.models import Order
from app.services.orders import ORDER_STATUSES, BatchRefused
from errors import ApiError, Problem, catalogue
from schemas.base import (
    CustomerCollectionSchema,
    Length,
    NotBlank,
    OneOf,
    ResourceSchema,
    String,
    camel_case,
    messages,
)
from schemas.fields import Money, OffsetDateTime, StrictInteger, problems

__all__ = [
    "OrderSchema",
    "BackofficeOrderSchema",
    "CompanyOrderSchema",
    "COMPANY_ORDER_FIELDS",
    "load_order",
    "load_order_batch",
    "load_status_change",
    "ORDER_FIELDS",
    "ITEMS_MAX",
]

ITEMS_MAX = 500


class _OrderNumber(validate.Validator):
    """1–64 of ``A–Z a–z 0–9 . _ -``; a blank one is reported as blank (NotBlank)."""

    _pattern = re.compile(r"[A-Za-z0-9._-]{1,64}")

    def __call__(self, value: str) -> str:
        if value.strip() and not self._pattern.fullmatch(value):
            raise ValidationError("This value is not valid.")
        return value


_ORDER_NUMBER = _OrderNumber()


class _Input(Schema):
    error_messages = {"type": "This value should be of type object."}

    class Meta:
        unknown = EXCLUDE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.data_key = camel_case(field_obj.data_key or field_name)


class _Object(fields.Nested):
    default_error_messages = {**messages, "type": "This value should be of type object."}


class _List(fields.List):
    """A JSON array of ``minimum``–``maximum`` entries (else Symfony's collection messages)."""

    default_error_messages = {**messages, "invalid": "This value should be of type array."}

    def __init__(self, inner: fields.Field, minimum: int, maximum: int, **kwargs: Any) -> None:
        super().__init__(inner, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if len(value) < self.minimum:
            raise ValidationError(f"This collection should contain {self.minimum} element or more.")
        if len(value) > self.maximum:
            raise ValidationError(f"This collection should contain {self.maximum} elements or less.")
        return super()._deserialize(value, attr, data, **kwargs)


def _text(maximum: int) -> fields.String:
    return String(required=True, validate=[NotBlank(), Length(None, maximum)])


class _Totals(_Input):
    grand_total = Money(required=True)
    delivery_costs = Money(required=True)

    @validates_schema
    def delivery_within_total(self, data: dict[str, Any], **kwargs: Any) -> None:
        grand_total, delivery_costs = data.get("grand_total"), data.get("delivery_costs")
        if grand_total is not None and delivery_costs is not None and delivery_costs > grand_total:
            raise ValidationError(
                f"This value should be less than or equal to {grand_total}.", "deliveryCosts"
            )


class _Item(_Input):
    sku = _text(64)
    name = _text(255)
    quantity = StrictInteger(1, 1_000_000, required=True)
    unit_price = Money(required=True)


class _OrderInput(_Input):
    order_number = String(required=True, validate=[NotBlank(), _ORDER_NUMBER])
    customer_reference = String(required=True, validate=NotBlank())
    order_date = OffsetDateTime(required=True)
    status = String(required=True, validate=OneOf(ORDER_STATUSES))
    currency_iso_code = String(required=True, validate=NotBlank())
    totals = _Object(_Totals, required=True)
    items = _List(_Object(_Item), 1, ITEMS_MAX, required=True)
    # One of the store's locales (the service says which); absent → the customer's.
    locale = String(validate=NotBlank())
    company_id = String(allow_none=True, validate=NotBlank())
    source_updated_at = OffsetDateTime(required=True)


class _StatusChange(_Input):
    status = String(required=True, validate=OneOf(ORDER_STATUSES))
    source_updated_at = OffsetDateTime(required=True)


_ORDER = _OrderInput()
_STATUS = _StatusChange()


def _load(schema: Schema, attributes: Any, prefix: str = "") -> tuple[dict[str, Any] | None, list[Problem]]:
    if not isinstance(attributes, Mapping):
        return None, [
            Problem(
                catalogue.VALIDATION_FAILED,
                prefix.rstrip("/") or None,
                {
                    "field": prefix.rstrip("/").rsplit("/", 1)[-1] or "data",
                    "message": "This value should be of type object.",
                },
            )
        ]
    try:
        return schema.load(dict(attributes)), []
    except ValidationError as error:
        return None, problems(error.messages, prefix)


def load_order(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """One order's attributes, every rule of CB §6.1 a schema can judge (901 with pointers)."""
    loaded, found = _load(_ORDER, attributes)
    if found or loaded is None:
        raise ApiError.of(found)
    return loaded


def load_order_batch(attributes: Mapping[str, Any], batch_max: int) -> list[dict[str, Any]]:
    """``{orders: [1…batch_max]}``: every row's errors at ``orders/{i}/…``; an orderNumber sent twice
    is "already used" at the later row."""
    rows = attributes.get("orders")
    if not isinstance(rows, list) or not 1 <= len(rows) <= batch_max:
        message = (
            "This field is missing."
            if "orders" not in attributes
            else "This value should be of type array."
            if not isinstance(rows, list)
            else f"This collection should contain {batch_max} elements or less."
            if rows
            else "This collection should contain 1 element or more."
        )
        raise ApiError.invalid("orders", message)
    loaded_rows: list[dict[str, Any]] = []
    found: list[Problem] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        loaded, row_problems = _load(_ORDER, row, f"orders/{index}/")
        found.extend(row_problems)
        number = row.get("orderNumber") if isinstance(row, Mapping) else None
        if isinstance(number, str) and number in seen:
            found.append(
                Problem(
                    catalogue.VALIDATION_FAILED,
                    f"orders/{index}/orderNumber",
                    {"field": "orderNumber", "message": "This value is already used."},
                )
            )
        elif isinstance(number, str):
            seen.add(number)
        if loaded is not None:
            loaded_rows.append(loaded)
    if found:
        raise BatchRefused.of(found)
    return loaded_rows


def load_status_change(attributes: Mapping[str, Any]) -> dict[str, Any]:
    loaded, found = _load(_STATUS, attributes)
    if found or loaded is None:
        raise ApiError.of(found)
    return loaded


class OrderSchema(CustomerCollectionSchema):
    """The storefront's view of an order (CB §6.1)."""

    id = fields.String(dump_only=True, attribute="order_number")
    order_number = fields.String(dump_only=True)
    order_date = fields.Method("_order_date", dump_only=True)
    status = fields.String(dump_only=True)
    currency_iso_code = fields.String(dump_only=True)
    totals = fields.Method("_totals", dump_only=True)
    items = fields.Method("_items", dump_only=True)
    locale = fields.String(dump_only=True)
    company_id = fields.String(dump_only=True)

    customer_collection = "orders"

    class Meta(ResourceSchema.Meta):
        type_ = "orders"

    def _order_date(self, order: Order) -> str:
        return order.order_date.isoformat()

    def _totals(self, order: Order) -> dict[str, int]:
        return {"grandTotal": order.grand_total, "deliveryCosts": order.delivery_costs}

    def _items(self, order: Order) -> list[dict[str, Any]]:
        return [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unitPrice": item.unit_price,
                "sumPrice": item.sum_price,
            }
            for item in order.items
        ]


ORDER_FIELDS = (
    "orderNumber",
    "orderDate",
    "status",
    "currencyIsoCode",
    "totals",
    "items",
    "locale",
    "companyId",
)


class CompanyOrderSchema(OrderSchema):
    """The company's view of an order (CB §6.1) adds ``companyUserId``. Its orders are its users',
    whose own order URLs name customer references the storefront does not show a company admin, so
    an order here carries no self link; the collection's is the company's."""

    company_user_id = fields.String(dump_only=True)

    def __init__(self, *args: Any, company: str = "", **kwargs: Any) -> None:
        self.company = company  # the company's id (``company_id`` is the attribute's field)
        super().__init__(*args, **kwargs)

    def collection_url(self) -> str:
        return f"{self.base_url}/companies/{self.company}/orders"

    def get_resource_links(self, item: dict[str, Any]) -> dict[str, str]:
        return {}


COMPANY_ORDER_FIELDS = (*ORDER_FIELDS, "companyUserId")


class BackofficeOrderSchema(OrderSchema):
    """The back-office's view adds ``customerReference, companyUserId, sourceUpdatedAt, createdAt,
    updatedAt``; its self link names the store."""

    owner_reference = fields.String(
        dump_only=True, attribute="customer_reference", data_key="customerReference"
    )
    company_user_id = fields.String(dump_only=True)
    source_updated_at = fields.Method("_source_updated_at", dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def __init__(self, *args: Any, store: str = "", **kwargs: Any) -> None:
        self.store = store
        super().__init__(*args, **kwargs)

    def collection_url(self) -> str:
        return f"{self.base_url}/backoffice/stores/{self.store}/orders"

    def _source_updated_at(self, order: Order) -> str:
        return order.source_updated_at.isoformat()
