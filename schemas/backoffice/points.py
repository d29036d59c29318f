"""The ``points-transfers`` and ``customer-status`` resources (BO §4.3).

{"data": {"type": "points-transfers", "id": "c1f0…",
          "attributes": {"transferType": "add", "points": "100.00", "comment": "Welcome",
                         "expiresOn": "2027-12-31", "lockedUntil": null, "state": "active",
                         "remainingPoints": "100.00", "actor": {"type": "operator", "id": "…"},
                         "createdAt": "…", "canceledAt": null},
          "links": {"self": "https://shop.example/backoffice/customers/DE--1/points-transfers/c1f0…"}}}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from schemas.backoffice.loyalty_fields import IsoDate, TwoDecimals
from schemas.base import CustomerCollectionSchema, Length, OneOf, ResourceSchema, String

__all__ = ["PointsTransferSchema", "CustomerStatusSchema"]

POINTS_MAX = Decimal("99999999.99")


class _Actor(fields.Field):
    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return {"type": value.type, "id": value.id}


class PointsTransferSchema(CustomerCollectionSchema):
    id = fields.String(dump_only=True)
    transfer_type = String(required=True, validate=OneOf(("add", "spend")))
    points = TwoDecimals(Decimal(0), POINTS_MAX, exclusive_minimum=True, required=True)
    comment = String(allow_none=True, validate=Length(None, 255))
    expires_on = IsoDate(allow_none=True)
    locked_until = IsoDate(allow_none=True)
    state = fields.String(dump_only=True)
    remaining_points = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    actor = _Actor(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    canceled_at = fields.DateTime(dump_only=True)

    @validates_schema
    def dates_for_adds_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("transfer_type") == "spend":
            errors = {
                name: ["This field applies to adds only."]
                for name, value in (
                    ("expiresOn", data.get("expires_on")),
                    ("lockedUntil", data.get("locked_until")),
                )
                if value is not None
            }
            if errors:
                raise ValidationError(errors)

    customer_collection = "points-transfers"

    class Meta(ResourceSchema.Meta):
        type_ = "points-transfers"


class CustomerStatusSchema(ResourceSchema):
    """``GET …/{ref}/status``: the points figures, the level and the next one, the aggregates."""

    id = fields.String(dump_only=True)
    points = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    total_earned_points = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    used_points = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    expired_points = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    locked_points = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    points_expiring_next_month = TwoDecimals(Decimal(0), POINTS_MAX, dump_only=True)
    points_expiring_breakdown = fields.Dict(
        keys=fields.String(), values=TwoDecimals(Decimal(0), POINTS_MAX), dump_only=True
    )
    level_id = fields.String(dump_only=True)
    level_name = fields.String(dump_only=True)
    level_reward_percent = fields.String(dump_only=True)
    level_condition_value = fields.Integer(dump_only=True)
    manually_assigned_level = fields.Boolean(dump_only=True)
    next_level_id = fields.String(dump_only=True)
    next_level_name = fields.String(dump_only=True)
    next_level_reward_percent = fields.String(dump_only=True)
    next_level_condition_value = fields.Integer(dump_only=True)
    transactions_amount_to_next_level_without_delivery_costs = fields.Integer(dump_only=True)
    transactions_count = fields.Integer(dump_only=True)
    transactions_amount = fields.Integer(dump_only=True)
    transactions_amount_without_delivery_costs = fields.Integer(dump_only=True)
    average_transaction_amount = fields.Integer(dump_only=True)
    last_transaction_date = fields.DateTime(dump_only=True)
    currency = fields.String(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "customer-status"

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        self.prefix = prefix  # "/backoffice" or "" (the storefront)
        super().__init__(*args, **kwargs)

    def get_resource_links(self, item: dict[str, Any]) -> dict[str, str]:
        return {"self": f"{self.base_url}{self.prefix}/customers/{item['id']}/status"}

    def get_top_level_links(self, data: Any, many: bool) -> dict[str, str | None]:
        return {"self": data.get("links", {}).get("self") if data else None}
