"""CORS for browser storefronts on other origins: Starlette's ``CORSMiddleware``, configured from
``GLUE_CORS_ORIGINS``, answering each path's preflight with that path's own methods.

Outermost of the middleware, so every answer a listed origin gets carries the CORS headers, the
edge's 406, 413 and 503 included (a browser could not read them otherwise). Bearer tokens only, no
cookies: no credentials mode. An origin that is not listed gets no CORS header at all; its
preflight reaches the app as a plain ``OPTIONS`` (405, code 008) and the browser refuses the call.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CorsMiddleware", "ALLOWED_REQUEST_HEADERS", "EXPOSED_HEADERS", "PREFLIGHT_MAX_AGE"]

ALLOWED_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "Store",
    "X-Request-Id",
)
EXPOSED_HEADERS = ("Location", "X-Request-Id", "Retry-After", "WWW-Authenticate")
# Seconds a browser may reuse a preflight answer (Chromium caps it at 7200).
PREFLIGHT_MAX_AGE = 600
_EVERY_METHOD = ("GET", "HEAD", "POST", "PATCH", "PUT", "DELETE")


class CorsMiddleware(CORSMiddleware):
    def __init__(self, app: ASGIApp, *, origins: Sequence[str], routes: Sequence[BaseRoute]) -> None:
        super().__init__(
            app,
            allow_origins=[origin.lower() for origin in origins],
            allow_methods=_EVERY_METHOD,
            allow_headers=ALLOWED_REQUEST_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )
        self._routes = [route for route in routes if isinstance(route, Route)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin is not None and "access-control-request-method" in headers:
                methods = self._methods_of(scope["path"])
                if not self.is_allowed_origin(origin) or methods is None:
                    await self.simple_response(scope, receive, send, request_headers=headers)
                    return
                await self._preflight(headers, methods)(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def send(self, message: dict, send: Send, request_headers: Headers) -> None:  # type: ignore[override,type-arg]
        origin = request_headers.get("origin")
        if (
            message["type"] == "http.response.start"
            and origin is not None
            and not self.is_allowed_origin(origin)
        ):
            # No CORS header for an unlisted origin; the answer still varies with the Origin header.
            message.setdefault("headers", []).append((b"vary", b"Origin"))
            await send(message)
            return
        await super().send(message, send, request_headers)

    def _methods_of(self, path: str) -> list[str] | None:
        for route in self._routes:
            if route.path_regex.match(path) and route.methods:
                return sorted(route.methods)
        return None

    def _preflight(self, request_headers: Headers, methods: list[str]) -> Response:
        """Starlette's checks of origin and request headers; the methods are the path's own."""
        checked = self.preflight_response(request_headers=request_headers)
        headers = {
            name: value
            for name, value in checked.headers.items()
            if name.startswith("access-control-") or name == "vary"
        }
        headers["access-control-allow-methods"] = ", ".join(methods)
        reasons = [] if checked.status_code == 200 else _reasons(bytes(checked.body).decode())
        if request_headers["access-control-request-method"] not in methods and "method" not in reasons:
            reasons.append("method")
        if reasons:
            return PlainTextResponse(
                "Disallowed CORS " + ", ".join(reasons), status_code=400, headers=headers
            )
        return Response(status_code=204, headers=headers)


def _reasons(refusal: str) -> list[str]:
    """``["origin", "headers"]`` from Starlette's ``Disallowed CORS origin, headers``."""
    return refusal.removeprefix("Disallowed CORS ").split(", ")
