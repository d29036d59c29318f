"""Activation by text and confirmation resends (requests only; the answers are 204 without a body).

{"data": {"type": "customer-sms-confirmation", "attributes": {"phone": "+4915112345678", "code": "482913"}}}
{"data": {"type": "customer-confirmation-resend", "attributes": {"username": "jdoe@example.com"}}}
{"data": {"type": "credential-confirmation", "attributes": {"code": "…"}}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import Length, NotBlank, ResourceSchema, String

__all__ = ["SmsConfirmationSchema", "ConfirmationResendSchema", "CredentialConfirmationSchema"]


class SmsConfirmationSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    phone = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 32)])
    code = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 32)])

    class Meta(ResourceSchema.Meta):
        type_ = "customer-sms-confirmation"


class ConfirmationResendSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    username = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 255)])

    class Meta(ResourceSchema.Meta):
        type_ = "customer-confirmation-resend"


class CredentialConfirmationSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    code = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 255)])

    class Meta(ResourceSchema.Meta):
        type_ = "credential-confirmation"
