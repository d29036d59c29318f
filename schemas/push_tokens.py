"""The ``push-tokens`` resource, nested under its customer.

{"data": {"type": "push-tokens", "id": "0b9c3f0e-6d7e-4c36-9a8e-1f2d3c4b5a69",
          "attributes": {"token": "fcm:APA91bH…", "platform": "android",
                         "createdAt": "2026-12-01T14:35:30.123456+00:00"}}}
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from app.services.push_tokens import PLATFORMS
from schemas.base import Length, OneOf, ResourceSchema, String

__all__ = ["PushTokenSchema"]

TOKEN_MAX_LENGTH = 4096


class PrintableAsciiWithoutSpace(validate.Validator):
    """Visible ASCII only (0x21-0x7E): what every push service's tokens are made of."""

    def __call__(self, value: str) -> str:
        if any(not "\x21" <= character <= "\x7e" for character in value):
            raise ValidationError("This value should contain printable ASCII characters without spaces only.")
        return value


class PushTokenSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    token = String(required=True, validate=[Length(1, TOKEN_MAX_LENGTH), PrintableAsciiWithoutSpace()])
    platform = String(allow_none=True, load_default=None, validate=OneOf(PLATFORMS))
    created_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "push-tokens"

    def __init__(self, *args: Any, customer_reference: str = "", **kwargs: Any) -> None:
        self.customer_reference = customer_reference
        super().__init__(*args, **kwargs)

    def collection_url(self) -> str:
        return f"{self.base_url}/customers/{self.customer_reference}/push-tokens"

    def get_top_level_links(self, data: Any, many: bool) -> dict[str, str | None]:
        return {"self": self.collection_url() if many else None}
