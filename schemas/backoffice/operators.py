"""The ``operators`` resource and the ``operator-password`` request (BO §2, §4.10).

{"data": {"type": "operators", "id": "6f1c…",
          "attributes": {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
                         "phone": null, "role": "admin",
                         "permissions": ["customers:read", "customers:write", "operators:write"],
                         "stores": null, "posId": null, "allowPointTransfer": false,
                         "active": true, "mfaActive": false, "createdAt": "…", "updatedAt": "…",
                         "lastLoginAt": null},
          "links": {"self": "https://shop.example/backoffice/operators/6f1c…"}}}
"""

from __future__ import annotations

from marshmallow import fields

from app.services.operators import ROLES
from schemas.base import Boolean, Length, NotBlank, OneOf, ResourceSchema, String, TrimmedEmail, messages

__all__ = ["OperatorSchema", "OperatorPasswordSchema", "code_list"]


def code_list(**kwargs: object) -> fields.List:
    return fields.List(
        String(validate=NotBlank()),
        error_messages={**messages, "invalid": "This value should be of type array."},
        **kwargs,
    )


class OperatorSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    email = TrimmedEmail(required=True, validate=Length(None, 255))
    # Write-only; the policy and the confirmation (406) are the service's.
    password = String(required=True, load_only=True, validate=NotBlank())
    confirm_password = String(required=True, load_only=True, validate=NotBlank())
    first_name = String(required=True, validate=[NotBlank(), Length(1, 100)])
    last_name = String(required=True, validate=[NotBlank(), Length(1, 100)])
    phone = String(allow_none=True, validate=Length(None, 32))
    role = String(required=True, validate=OneOf(ROLES))
    permissions = code_list()
    stores = code_list(allow_none=True)
    pos_id = String(allow_none=True, validate=Length(None, 36))
    allow_point_transfer = Boolean()
    active = fields.Boolean(dump_only=True)
    mfa_active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "operators"
        self_url = "/backoffice/operators/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/backoffice/operators"


class OperatorPasswordSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    password = String(required=True, load_only=True, validate=NotBlank())
    new_password = String(required=True, load_only=True, validate=NotBlank())
    confirm_password = String(required=True, load_only=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = "operator-password"
