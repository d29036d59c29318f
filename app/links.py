"""Absolute http(s) URLs in the settings: base URLs (the public base, the issuer), and the origins
of mailed links as the link allow-list compares them."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["is_base_url", "link_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def link_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (default port dropped), else None.

    URLs with credentials are refused: ``https://shop.example@evil.example`` goes to evil.example.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    scheme = parts.scheme.lower()
    origin = f"{scheme}://{parts.hostname.lower()}"
    return origin if port in (None, _DEFAULT_PORTS[scheme]) else f"{origin}:{port}"


def is_base_url(url: str) -> bool:
    """An absolute http(s) URL without credentials, query or fragment, nor surrounding space."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return False
    return (
        parts.scheme in _DEFAULT_PORTS
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and not parts.query
        and not parts.fragment
        and "?" not in url
        and "#" not in url
        and url == url.strip()
    )
