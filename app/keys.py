"""Single-use keys mailed to customers (restore password, confirm registration).

A key carries 256 random bits; only its SHA-256 digest is stored, so a database leak reveals no
usable key, and a lookup by digest compares no secret byte by byte in our code.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit, urlunsplit

__all__ = ["new_key", "key_digest", "link_with_token"]

KEY_BYTES = 32


def new_key() -> tuple[str, str]:
    """A fresh key and its digest."""
    key = secrets.token_urlsafe(KEY_BYTES)
    return key, key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def link_with_token(base_url: str, key: str) -> str:
    """``{base}?token={key}``, keeping a query the base already has (keys are URL-safe)."""
    parts = urlsplit(base_url)
    query = f"{parts.query}&token={key}" if parts.query else f"token={key}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
