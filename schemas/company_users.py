"""The ``company-users`` and ``companies`` resources as the storefront shows them (CB §4.1): the
back-office adds ``customerReference`` and the company's store, reference and times.

{"data": {"type": "company-users", "id": "0b6e…",
          "attributes": {"isActive": true, "isDefault": true, "role": "admin",
                         "email": "jdoe@example.com", "firstName": "John", "lastName": "Doe",
                         "createdAt": "…", "updatedAt": "…"},
          "relationships": {"companies": {"data": [{"type": "companies", "id": "6f1c…"}]}},
          "links": {"self": "https://shop.example/company-users/0b6e…"}},
 "included": [{"type": "companies", "id": "6f1c…", "attributes": {"name": "ACME GmbH", "isActive": true},
               "links": {"self": "https://shop.example/companies/6f1c…"}}]}
"""

from __future__ import annotations

from schemas.backoffice.companies import COMPANY_TYPE, COMPANY_USER_TYPE, CompanyUserUpdateSchema

__all__ = ["COMPANY_TYPE", "COMPANY_USER_TYPE", "CompanyUserChangeSchema"]

# A company admin changes what an operator does: role and isActive (the rest is read-only).
CompanyUserChangeSchema = CompanyUserUpdateSchema
