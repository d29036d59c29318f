"""The ``access-tokens`` and ``refresh-tokens`` resources.

{"data": {"type": "access-tokens", "id": "5b0c…-session-id",
          "attributes": {"tokenType": "Bearer", "expiresIn": 28800, "accessToken": "eyJ…",
                         "refreshToken": "…", "refreshTokenExpiresIn": 2592000},
          "links": {"self": "https://shop.example/access-tokens"}},
 "links": {"self": "https://shop.example/access-tokens"}}
"""

from __future__ import annotations

from marshmallow import fields

from schemas.base import NotBlank, ResourceSchema, String

__all__ = ["AccessTokenSchema", "RefreshTokenSchema", "CompanyUserAccessTokenSchema"]


class _TokenSchema(ResourceSchema):
    id = fields.String(attribute="session_id", dump_only=True)
    token_type = fields.Constant("Bearer", dump_only=True)
    expires_in = fields.Integer(dump_only=True)
    access_token = fields.String(dump_only=True)
    refresh_token = fields.String(dump_only=True)
    refresh_token_expires_in = fields.Integer(attribute="refresh_expires_in", dump_only=True)


class AccessTokenSchema(_TokenSchema):
    username = String(required=True, load_only=True, validate=NotBlank())
    password = String(required=True, load_only=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = "access-tokens"
        # A session has no URL of its own to GET; Glue links the resource to the collection it came from.
        self_url = "/access-tokens"


class RefreshTokenSchema(_TokenSchema):
    refresh_token = String(required=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = "refresh-tokens"
        self_url = "/refresh-tokens"


class CompanyUserAccessTokenSchema(_TokenSchema):
    """A company token (CB §4.2): ``{"idCompanyUser": "0b6e…"}`` in, access-tokens' attributes out."""

    id_company_user = String(required=True, load_only=True, validate=NotBlank())

    class Meta(ResourceSchema.Meta):
        type_ = "company-user-access-tokens"
        self_url = "/company-user-access-tokens"
