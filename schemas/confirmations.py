"""The ``customer-confirmation`` resource (request only; the answer is 204 without a body).

{"data": {"type": "customer-confirmation", "attributes": {"registrationKey": "…"}}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import Length, NotBlank, ResourceSchema, String

__all__ = ["ConfirmationSchema"]


class ConfirmationSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    registration_key = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 255)])

    class Meta(ResourceSchema.Meta):
        type_ = "customer-confirmation"
