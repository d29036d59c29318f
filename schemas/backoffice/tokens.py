"""The back-office's ``access-tokens`` and ``refresh-tokens`` (BO §4.10): the storefront's
documents under ``/backoffice``.

{"data": {"type": "access-tokens", "id": "5b0c…-session-id",
          "attributes": {"tokenType": "Bearer", "expiresIn": 900, "accessToken": "eyJ…",
                         "refreshToken": "…", "refreshTokenExpiresIn": 43200},
          "links": {"self": "https://shop.example/backoffice/access-tokens"}}}
"""

from __future__ import annotations

from schemas.tokens import AccessTokenSchema, RefreshTokenSchema

__all__ = ["OperatorAccessTokenSchema", "OperatorRefreshTokenSchema"]


class OperatorAccessTokenSchema(AccessTokenSchema):
    class Meta(AccessTokenSchema.Meta):
        self_url = "/backoffice/access-tokens"


class OperatorRefreshTokenSchema(RefreshTokenSchema):
    class Meta(RefreshTokenSchema.Meta):
        self_url = "/backoffice/refresh-tokens"
