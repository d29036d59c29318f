"""The ``companies`` and ``company-users`` resources as the back-office writes them (CB §4.1, §4.4).

{"data": {"type": "companies", "id": "6f1c…",
          "attributes": {"name": "ACME GmbH", "isActive": true, "store": "DE",
                         "externalReference": "ERP-77", "createdAt": "…", "updatedAt": "…"},
          "links": {"self": "https://shop.example/backoffice/companies/6f1c…"}}}

{"data": {"type": "company-users", "id": "0b6e…",
          "attributes": {"isActive": true, "isDefault": true, "role": "admin",
                         "email": "jdoe@example.com", "firstName": "John", "lastName": "Doe",
                         "customerReference": "DE--7", "createdAt": "…", "updatedAt": "…"},
          "relationships": {"companies": {"data": [{"type": "companies", "id": "6f1c…"}]}}}}
"""

from __future__ import annotations

from marshmallow import fields

from app.services.customers import SALUTATIONS
from app.tables import COMPANY_ROLES
from schemas.base import Boolean, Length, NotBlank, OneOf, ResourceSchema, String, TrimmedEmail

__all__ = [
    "COMPANY_TYPE",
    "COMPANY_USER_TYPE",
    "CompanySchema",
    "CompanyUpdateSchema",
    "NewCompanyUserSchema",
    "CompanyUserUpdateSchema",
]

COMPANY_TYPE = "companies"
COMPANY_USER_TYPE = "company-users"


class CompanySchema(ResourceSchema):
    """A creation: store and name required; the store's validity is the service's to say."""

    id = fields.String(dump_only=True)
    store = String(required=True, validate=NotBlank())
    name = String(required=True, validate=[NotBlank(), Length(None, 255)])
    is_active = Boolean()
    external_reference = String(allow_none=True, validate=Length(None, 64))

    class Meta(ResourceSchema.Meta):
        type_ = COMPANY_TYPE


class CompanyUpdateSchema(ResourceSchema):
    """A change: the store is fixed (sent, it is ignored)."""

    id = fields.String(dump_only=True)
    name = String(validate=[NotBlank(), Length(None, 255)])
    is_active = Boolean()
    external_reference = String(allow_none=True, validate=Length(None, 64))

    class Meta(ResourceSchema.Meta):
        type_ = COMPANY_TYPE


class NewCompanyUserSchema(ResourceSchema):
    """CB §4.4: the person's e-mail and names (used only when a customer is created), a role."""

    id = fields.String(dump_only=True)
    email = TrimmedEmail(required=True, validate=Length(None, 255))
    salutation = String(required=True, validate=OneOf(SALUTATIONS))
    first_name = String(required=True, validate=[NotBlank(), Length(None, 100)])
    last_name = String(required=True, validate=[NotBlank(), Length(None, 100)])
    role = String(validate=OneOf(COMPANY_ROLES))
    locale = String(validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = COMPANY_USER_TYPE


class CompanyUserUpdateSchema(ResourceSchema):
    """Role and isActive; the rest is read-only."""

    id = fields.String(dump_only=True)
    role = String(validate=OneOf(COMPANY_ROLES))
    is_active = Boolean()

    class Meta(ResourceSchema.Meta):
        type_ = COMPANY_USER_TYPE
