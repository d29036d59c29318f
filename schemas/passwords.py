"""The ``customer-password``, ``customer-forgotten-password`` and ``customer-restore-password`` resources.

Request documents only; every operation answers 204 without a body.

{"data": {"type": "customer-password",
          "attributes": {"password": "old", "newPassword": "new", "confirmPassword": "new"}}}
{"data": {"type": "customer-forgotten-password",
          "attributes": {"email": "jdoe@example.com", "confirmationBaseUrl": "https://shop.example/reset"}}}
{"data": {"type": "customer-restore-password",
          "attributes": {"restorePasswordKey": "…", "password": "new", "confirmPassword": "new"}}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import Length, NotBlank, ResourceSchema, String, TrimmedEmail

__all__ = ["PasswordChangeSchema", "ForgottenPasswordSchema", "RestorePasswordSchema"]


class PasswordChangeSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    password = String(required=True, load_only=True, validate=NotBlank())
    # The policy (length, common passwords) is the service's: its messages are 901 on newPassword.
    new_password = String(required=True, load_only=True, validate=NotBlank())
    confirm_password = String(required=True, load_only=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = "customer-password"


class ForgottenPasswordSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    email = TrimmedEmail(required=True, load_only=True, validate=Length(None, 255))
    # Checked against the allow-list of link origins by the service.
    confirmation_base_url = String(load_only=True, allow_none=True, validate=Length(None, 2000))

    class Meta(ResourceSchema.Meta):
        type_ = "customer-forgotten-password"


class RestorePasswordSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    restore_password_key = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 255)])
    password = String(required=True, load_only=True, validate=NotBlank())
    confirm_password = String(required=True, load_only=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = "customer-restore-password"
