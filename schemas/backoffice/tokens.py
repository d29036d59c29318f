"""The back-office's ``access-tokens`` and ``refresh-tokens`` (BO §4.10): the storefront's
documents under ``/backoffice``.

{"data": {"type": "access-tokens", "id": "5b0c…-session-id",
          "attributes": {"tokenType": "Bearer", "expiresIn": 900, "accessToken": "eyJ…",
                         "refreshToken": "…", "refreshTokenExpiresIn": 43200},
          "links": {"self": "https://shop.example/backoffice/access-tokens"}}}
"""

from __future__ import annotations

from schemas.base import Length, String
from schemas.tokens import AccessTokenSchema, RefreshTokenSchema

__all__ = ["OperatorAccessTokenSchema", "OperatorRefreshTokenSchema"]


class OperatorAccessTokenSchema(AccessTokenSchema):
    # BO §2.1: the one-time code (TOTP or recovery code) an operator with active MFA logs in with.
    otp = String(load_only=True, allow_none=True, validate=Length(None, 64))

    class Meta(AccessTokenSchema.Meta):
        self_url = "/backoffice/access-tokens"


class OperatorRefreshTokenSchema(RefreshTokenSchema):
    class Meta(RefreshTokenSchema.Meta):
        self_url = "/backoffice/refresh-tokens"
