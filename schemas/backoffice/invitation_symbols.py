"""The ``invitation-symbols`` resource of the back-office (CB §5.3): a company's request codes and
e-mail domains.

{"data": {"type": "invitation-symbols", "id": "2f0c…",
          "attributes": {"kind": "request-code", "value": "ACME-2026", "role": "buyer",
                         "autoApprove": false, "isActive": true, "expiresAt": null,
                         "maxUses": 50, "uses": 3, "createdAt": "…", "updatedAt": "…"},
          "relationships": {"companies": {"data": {"type": "companies", "id": "6f1c…"}}},
          "links": {"self": "https://shop.example/backoffice/companies/6f1c…/invitation-symbols/2f0c…"}}}
"""

from __future__ import annotations

from marshmallow import fields

from app.tables import COMPANY_ROLES, SYMBOL_KINDS
from schemas.base import Boolean, NotBlank, OneOf, ResourceSchema, String
from schemas.fields import OffsetDateTime, StrictInteger

__all__ = ["SYMBOL_TYPE", "NewSymbolSchema", "SymbolUpdateSchema"]

SYMBOL_TYPE = "invitation-symbols"
MAX_USES = 2_147_483_647


class SymbolUpdateSchema(ResourceSchema):
    """A change: kind and value are fixed (sent, they are ignored); ``maxUses`` of a domain is the
    service's 901."""

    id = fields.String(dump_only=True)
    role = String(validate=OneOf(COMPANY_ROLES))
    auto_approve = Boolean()
    is_active = Boolean()
    expires_at = OffsetDateTime(allow_none=True)
    max_uses = StrictInteger(1, MAX_USES, allow_none=True)

    class Meta(ResourceSchema.Meta):
        type_ = SYMBOL_TYPE


class NewSymbolSchema(SymbolUpdateSchema):
    """A creation: kind and value required; the value's form is the service's to check by kind."""

    kind = String(required=True, validate=OneOf(SYMBOL_KINDS))
    value = String(required=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = SYMBOL_TYPE
