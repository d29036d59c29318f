"""The ``pos`` resource (BO §4.3): a point of sale; the identifier unique case-insensitively.

{"data": {"type": "pos", "id": "9a41…",
          "attributes": {"name": "Berlin Mitte", "identifier": "ber-01",
                         "createdAt": "…", "updatedAt": "…"},
          "links": {"self": "https://shop.example/backoffice/pos/9a41…"}}}
"""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import Length, NotBlank, ResourceSchema, String

__all__ = ["PointOfSaleSchema"]

_IDENTIFIER = validate.Regexp(
    r"^[A-Za-z0-9_-]+\Z", error="This value should contain only letters, digits, '_' and '-'."
)


class PointOfSaleSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    name = String(required=True, validate=[NotBlank(), Length(1, 100)])
    identifier = String(required=True, validate=[Length(1, 64), _IDENTIFIER])
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "pos"
        self_url = "/backoffice/pos/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/backoffice/pos"
