"""The ``operator-mfa`` resource (BO §2.1): an enrolment as POST shows it once, and the ``otp`` a
confirmation or removal sends.

{"data": {"type": "operator-mfa", "id": "6f1c…-operator-id",
          "attributes": {"status": "pending",
                         "otpauthUri": "otpauth://totp/glue-customers:ada%40example.com?secret=…&issuer=glue-customers",
                         "recoveryCodes": ["K7QX-M2PA-ZD4R-W9LE", "…"]},
          "links": {"self": "https://shop.example/backoffice/operator-mfa"}}}

{"data": {"type": "operator-mfa", "attributes": {"otp": "123456"}}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import Length, NotBlank, ResourceSchema, String

__all__ = ["OperatorMfaSchema", "OperatorMfaCodeSchema", "OperatorMfaOptionalCodeSchema", "TYPE"]

TYPE = "operator-mfa"


class OperatorMfaSchema(ResourceSchema):
    id = fields.String(attribute="operator_id", dump_only=True)
    status = fields.String(dump_only=True)
    otpauth_uri = fields.String(dump_only=True)
    recovery_codes = fields.List(fields.String(), dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = TYPE
        self_url = "/backoffice/operator-mfa"


class OperatorMfaCodeSchema(ResourceSchema):
    """A TOTP (or, where a recovery code is taken, one of those: 16 base32 characters, hyphens
    ignored); its worth is the service's (1008)."""

    id = fields.String(dump_only=True)
    otp = String(required=True, load_only=True, validate=[NotBlank(), Length(1, 64)])

    class Meta(ResourceSchema.Meta):
        type_ = TYPE


class OperatorMfaOptionalCodeSchema(OperatorMfaCodeSchema):
    otp = String(load_only=True, allow_none=True, validate=[NotBlank(), Length(1, 64)])
