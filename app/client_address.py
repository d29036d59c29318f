"""The client's address, for limiting: the socket peer, or X-Forwarded-For behind a trusted proxy."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["client_address"]


def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """Walk X-Forwarded-For from the right past trusted proxies; the first other hop is the client."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return peer
