"""OAuth 2.0 error responses (RFC 6749 §5.2), named by authlib's RFC 6749 error types."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import errors as rfc6749

from errors.catalogue import OAuthCatalogueEntry

__all__ = [
    "OAuthError",
    "OAUTH_CATALOGUE",
    "INVALID_REQUEST",
    "INVALID_GRANT",
    "INVALID_CLIENT",
    "UNSUPPORTED_GRANT_TYPE",
    "SLOW_DOWN",
    "INVALID_SCOPE",
]


def _entry(
    error_type: type[rfc6749.OAuth2Error], description: str, status: int | None = None
) -> OAuthCatalogueEntry:
    return OAuthCatalogueEntry(
        str(error_type.error), status or int(error_type.status_code or 400), description
    )


INVALID_REQUEST = _entry(rfc6749.InvalidRequestError, "The request is missing a required parameter.")
INVALID_GRANT = _entry(rfc6749.InvalidGrantError, "The credentials or the refresh token are invalid.")
# RFC 6749 §5.2 allows 401 for invalid_client; we always use it (our clients are public).
INVALID_CLIENT = _entry(rfc6749.InvalidClientError, "Client authentication failed.", status=401)
UNSUPPORTED_GRANT_TYPE = _entry(rfc6749.UnsupportedGrantTypeError, "The grant type is not supported.")
# The back-office's client credentials: a scope beyond the client's permissions (RFC 6749 §5.2).
INVALID_SCOPE = _entry(rfc6749.InvalidScopeError, "The requested scope exceeds the client's permissions.")

# The login limiter on /token. RFC 6749 has no code for it; "slow_down" is the registered OAuth
# error (RFC 8628 §3.5) that tells a client to wait, and 429 + Retry-After says how long.
SLOW_DOWN = OAuthCatalogueEntry(
    "slow_down", 429, "Too many log in attempts. Please wait before trying again."
)

OAUTH_CATALOGUE = (
    INVALID_REQUEST,
    INVALID_GRANT,
    INVALID_CLIENT,
    UNSUPPORTED_GRANT_TYPE,
    SLOW_DOWN,
    INVALID_SCOPE,
)


class OAuthError(Exception):
    """Raised by the OAuth endpoints; rendered as RFC 6749 §5.2 JSON."""

    def __init__(
        self,
        entry: OAuthCatalogueEntry,
        description: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(entry.error)
        self.entry = entry
        self.description = description or entry.description
        self.headers = headers or {}
