"""The ``customers`` resource.

{"data": {"type": "customers", "id": "DE--25",
          "attributes": {"salutation": "Mr", "firstName": "John", "lastName": "Doe",
                         "email": "jdoe@example.com", "gender": null, "dateOfBirth": null,
                         "locale": "de_DE", "phone": "+493012345678", "loyaltyCardNumber": null,
                         "agreement1": true, "agreement2": false, "agreement3": false,
                         "company": {"name": "Muster GmbH", "taxId": "DE123456789"},
                         "hasAvatar": false, "pendingEmail": null, "pendingPhone": null,
                         "createdAt": "2026-11-23T09:15:02.694668+00:00", "updatedAt": "..."},
          "links": {"self": "https://shop.example/customers/DE--25"}}}
"""

from __future__ import annotations

from marshmallow import fields

from app.services.customers import SALUTATIONS
from schemas.base import (
    Boolean,
    CompanyField,
    Length,
    NotBlank,
    OneOf,
    PastDate,
    ResourceSchema,
    String,
    TrimmedEmail,
    messages,
)

__all__ = ["CustomerSchema", "CustomerUpdateSchema", "CUSTOMER_ATTRIBUTES", "CUSTOMER_EDITABLE"]

CUSTOMER_ATTRIBUTES = (
    "salutation",
    "firstName",
    "lastName",
    "email",
    "gender",
    "dateOfBirth",
    "locale",
    "phone",
    "loyaltyCardNumber",
    "agreement1",
    "agreement2",
    "agreement3",
    "company",
    "hasAvatar",
    "pendingEmail",
    "pendingPhone",
    "createdAt",
    "updatedAt",
)


class CustomerSchema(ResourceSchema):
    id = fields.String(attribute="reference", dump_only=True)
    salutation = String(required=True, validate=OneOf(SALUTATIONS))
    first_name = String(required=True, validate=[NotBlank(), Length(None, 100)])
    last_name = String(required=True, validate=[NotBlank(), Length(None, 100)])
    email = TrimmedEmail(required=True, validate=Length(None, 255))
    # Glue answers an unknown gender with its own code (414), so the service checks the value.
    gender = String(allow_none=True)
    date_of_birth = PastDate(allow_none=True)
    # ll_CC; whether it is one of the store's locales (901 choice) is the service's to say.
    locale = String(validate=NotBlank())
    # Blank passwords are 901 here; the policy and the confirmation (406) are the service's.
    password = String(required=True, load_only=True, validate=NotBlank())
    confirm_password = String(required=True, load_only=True, validate=NotBlank())
    # Glue answers missing, null or false terms with its own code (422): checked by the service.
    accepted_terms = fields.Raw(load_only=True, allow_none=True, error_messages=messages)
    # Parsed (901 "not a valid phone number") and kept in E.164 by the service, which knows the
    # default region; null erases it.
    phone = String(allow_none=True)
    loyalty_card_number = fields.String(dump_only=True)
    # agreement1 is the terms accepted at registration (acceptedTerms).
    agreement1 = fields.Boolean(dump_only=True)
    # null erases an agreement: back to its default, false.
    agreement2 = Boolean(allow_none=True)
    agreement3 = Boolean(allow_none=True)
    company = CompanyField(allow_none=True)
    has_avatar = fields.Boolean(dump_only=True)
    pending_email = fields.String(dump_only=True)
    pending_phone = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "customers"
        self_url = "/customers/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/customers"


class CustomerUpdateSchema(CustomerSchema):
    """What a PATCH may send: as registration, but the salutation may be erased (null), BO §3."""

    salutation = String(allow_none=True, validate=OneOf(SALUTATIONS))


# Attributes a PATCH may change (the rest are ignored, as unknown attributes are).
CUSTOMER_EDITABLE = (
    "salutation",
    "first_name",
    "last_name",
    "email",
    "gender",
    "date_of_birth",
    "locale",
    "phone",
    "agreement2",
    "agreement3",
    "company",
)
