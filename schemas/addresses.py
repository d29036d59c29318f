"""The ``addresses`` resource, nested under its customer.

{"data": {"type": "addresses", "id": "3a6ee102-007f-5245-aaec-af5b6e05685b",
          "attributes": {"salutation": "Mr", "firstName": "John", "lastName": "Doe",
                         "address1": "11 Second Street", "address2": "4th Floor", "address3": "Suite 555",
                         "zipCode": "12312", "city": "Berlin", "country": "Germany", "iso2Code": "DE",
                         "company": null, "phone": "22111-3-4-5",
                         "isDefaultShipping": true, "isDefaultBilling": true, "isDefaultContact": true},
          "links": {"self": "https://shop.example/customers/DE--25/addresses/3a6ee102-…"}}}
"""

from __future__ import annotations

from typing import Any

import pycountry
from marshmallow import ValidationError, fields, post_load, validate

from app.services.customers import SALUTATIONS
from schemas.base import Boolean, CustomerCollectionSchema, Length, NotBlank, OneOf, ResourceSchema, String

__all__ = ["AddressSchema", "BackofficeAddressSchema"]


class IsoCountryCode(validate.Validator):
    """ISO 3166-1 alpha-2, checked against the pycountry data set."""

    def __call__(self, value: str) -> str:
        if not value.strip():  # reported by NotBlank
            return value
        if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
            raise ValidationError("This value is not a valid country.")
        return value


def _required_text(maximum: int) -> fields.String:
    return String(required=True, validate=[NotBlank(), Length(None, maximum)])


def _optional_text(maximum: int) -> fields.String:
    return String(allow_none=True, validate=Length(None, maximum))


class AddressSchema(CustomerCollectionSchema):
    id = fields.String(dump_only=True)
    salutation = String(required=True, validate=OneOf(SALUTATIONS))
    first_name = _required_text(100)
    last_name = _required_text(100)
    address1 = _required_text(255)
    address2 = _optional_text(255)
    address3 = _optional_text(255)
    zip_code = _required_text(15)
    city = _required_text(255)
    country = fields.String(dump_only=True)
    iso2_code = String(required=True, validate=[NotBlank(), IsoCountryCode()])
    company = _optional_text(255)
    phone = _optional_text(255)
    is_default_shipping = Boolean()
    is_default_billing = Boolean()
    is_default_contact = Boolean()

    customer_collection = "addresses"

    class Meta(ResourceSchema.Meta):
        type_ = "addresses"

    @post_load
    def upper_case_country_code(self, loaded: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Upper-case country codes, so ``de`` and ``DE`` are the same country."""
        if loaded.get("iso2_code"):
            loaded["iso2_code"] = loaded["iso2_code"].upper()
        return loaded


class BackofficeAddressSchema(AddressSchema):
    """The same address under ``/backoffice/customers/{ref}/addresses``."""

    prefix = "/backoffice"
