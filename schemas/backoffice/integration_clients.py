"""The ``integration-clients`` resource (BO §2.2); ``clientSecret`` only on create and rotation.

{"data": {"type": "integration-clients", "id": "0b6e…",
          "attributes": {"name": "ERP", "permissions": ["customers:read"], "stores": ["DE"],
                         "active": true, "createdAt": "…", "updatedAt": "…", "lastTokenAt": null,
                         "clientSecret": "…"},
          "links": {"self": "https://shop.example/backoffice/integration-clients/0b6e…"}}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.backoffice.operators import code_list
from schemas.base import Length, NotBlank, ResourceSchema, String

__all__ = ["IntegrationClientSchema"]


class IntegrationClientSchema(ResourceSchema):
    id = fields.String(dump_only=True)
    name = String(required=True, validate=[NotBlank(), Length(1, 100)])
    permissions = code_list(required=True)
    stores = code_list(allow_none=True)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    last_token_at = fields.DateTime(dump_only=True)
    client_secret = fields.String(dump_only=True)

    class Meta(ResourceSchema.Meta):
        type_ = "integration-clients"
        self_url = "/backoffice/integration-clients/{id}"
        self_url_kwargs = {"id": "<id>"}
        self_url_many = "/backoffice/integration-clients"
