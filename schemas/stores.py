"""The ``stores`` resource (read-only; stores are configuration).

{"data": {"type": "stores", "id": "CH",
          "attributes": {"defaultLocale": "de_CH", "locales": ["de_CH", "fr_CH"],
                         "currencyIsoCode": "CHF", "timeZone": "Europe/Zurich"},
          "links": {"self": "https://shop.example/stores/CH"}}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import ResourceSchema

__all__ = ["StoreSchema"]


class StoreSchema(ResourceSchema):
    id = fields.String(attribute="code", dump_only=True)
    default_locale = fields.String(dump_only=True)
    locales = fields.List(fields.String(), dump_only=True)
    currency_iso_code = fields.String(dump_only=True)
    time_zone = fields.String(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "stores"
        self_url = "/stores/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/stores"
