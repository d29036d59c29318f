"""The ``access-requests`` resource (CB §5.1) and ``access-request-confirmation`` (request only).

{"data": {"type": "access-requests", "id": "9d2e…",
          "attributes": {"state": "accepted", "email": "jdoe@example.com", "salutation": "Mr",
                         "firstName": "John", "lastName": "Doe", "locale": "de_DE",
                         "companyHint": "ACME", "requestCode": "ACME-2026", "companyId": "6f1c…",
                         "role": "buyer", "declineReason": null, "invalidReason": null,
                         "createdAt": "…", "updatedAt": "…"},
          "links": {"self": "https://shop.example/access-requests/9d2e…"}}}

A submission sends the person, its password and terms; a PATCH sends ``state`` and what goes with
it: {"data": {"type": "access-requests", "id": "9d2e…", "attributes": {"state": "declined",
"reason": "Unknown to us."}}}
"""

from __future__ import annotations

from marshmallow import fields

from app.services.customers import SALUTATIONS
from app.tables import COMPANY_ROLES
from schemas.base import Length, NotBlank, OneOf, ResourceSchema, String, TrimmedEmail, messages

__all__ = [
    "ACCESS_REQUEST_TYPE",
    "CONFIRMATION_TYPE",
    "SubmissionSchema",
    "ConfirmationKeySchema",
    "StorefrontDecisionSchema",
    "BackofficeDecisionSchema",
]

ACCESS_REQUEST_TYPE = "access-requests"
CONFIRMATION_TYPE = "access-request-confirmation"


class SubmissionSchema(ResourceSchema):
    """``POST /access-requests``: as registration; the request code's validity (1123), the
    locale's and the link's are the service's to say."""

    id = fields.String(dump_only=True)
    salutation = String(required=True, validate=OneOf(SALUTATIONS))
    first_name = String(required=True, validate=[NotBlank(), Length(None, 100)])
    last_name = String(required=True, validate=[NotBlank(), Length(None, 100)])
    email = TrimmedEmail(required=True, validate=Length(None, 255))
    password = String(required=True, load_only=True, validate=NotBlank())
    confirm_password = String(required=True, load_only=True, validate=NotBlank())
    # Missing, null or false terms are Glue's 422, checked by the service.
    accepted_terms = fields.Raw(load_only=True, allow_none=True, error_messages=messages)
    locale = String(validate=NotBlank())
    request_code = String(validate=Length(None, 255))
    company_hint = String(validate=Length(None, 255))
    confirmation_base_url = String(load_only=True, validate=Length(None, 2048))

    class Meta(ResourceSchema.Meta):
        type_ = ACCESS_REQUEST_TYPE


class ConfirmationKeySchema(ResourceSchema):
    id = fields.String(dump_only=True)
    confirmation_key = String(required=True, load_only=True, validate=[NotBlank(), Length(None, 255)])

    class Meta(ResourceSchema.Meta):
        type_ = CONFIRMATION_TYPE


class StorefrontDecisionSchema(ResourceSchema):
    """A company admin approves or declines; ``companyId`` is the service's 901 "not expected"."""

    id = fields.String(dump_only=True)
    state = String(required=True, validate=OneOf(("approved", "declined")))
    company_id = String(allow_none=True, validate=Length(None, 64))
    role = String(validate=OneOf(COMPANY_ROLES))
    reason = String(validate=[NotBlank(), Length(1, 1000)])

    class Meta(ResourceSchema.Meta):
        type_ = ACCESS_REQUEST_TYPE


class BackofficeDecisionSchema(StorefrontDecisionSchema):
    """The back-office also accepts a pending request into ``companyId``."""

    state = String(required=True, validate=OneOf(("accepted", "approved", "declined")))

    class Meta(ResourceSchema.Meta):
        type_ = ACCESS_REQUEST_TYPE
