"""The ``levels`` resource (BO §4.3): a store's level; ``conditionValue`` in the store's minor units.

{"data": {"type": "levels", "id": "5d0c…",
          "attributes": {"store": "DE", "name": "Gold", "conditionValue": 50000,
                         "rewardPercent": "5.00", "translations": {"de": {"name": "Gold"}},
                         "createdAt": "…", "updatedAt": "…"},
          "links": {"self": "https://shop.example/backoffice/levels/5d0c…"}}}
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields

from schemas.backoffice.loyalty_fields import Translations, TwoDecimals
from schemas.base import Length, NotBlank, ResourceSchema, String
from schemas.fields import Money

__all__ = ["LevelSchema", "LevelUpdateSchema", "LevelAssignmentSchema"]


class LevelSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    store = String(required=True, validate=NotBlank())
    name = String(required=True, validate=[NotBlank(), Length(1, 100)])
    condition_value = Money(required=True)
    reward_percent = TwoDecimals(Decimal(0), Decimal(100), required=True)
    translations = Translations(load_default=dict)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "levels"
        self_url = "/backoffice/levels/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/backoffice/levels"


class LevelUpdateSchema(LevelSchema):
    """PATCH: the store is fixed (ignored when sent)."""

    store = fields.String(dump_only=True)
    translations = Translations()


class LevelAssignmentSchema(ResourceSchema):
    """``POST …/{ref}/level``: {"data": {"type": "level-assignment", "attributes": {"levelId": "5d0c…"}}}"""

    id = fields.String(dump_only=True)
    level_id = String(required=True, validate=[NotBlank(), Length(1, 36)])

    class Meta(ResourceSchema.Meta):
        type_ = "level-assignment"
