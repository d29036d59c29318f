"""The edge of every request: request ids, security headers, Accept negotiation, the body limit,
the last-resort rendering of failures (503 for an unreachable database, 500 for a bug), and the
request's access line and metrics once it has been answered."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import jsonapi, metrics
from app.database import is_unavailable
from app.logs import incoming_request_id, log_access, request_id_context
from app.passwords import HashingOverloaded
from app.routing import EdgeException, route_template
from errors import ApiError, catalogue

__all__ = [
    "EdgeMiddleware",
    "api_error_handler",
    "hashing_overloaded_handler",
    "http_exception_handler",
    "is_api_path",
]

logger = logging.getLogger("glue_customers")

_NOT_JSON_API_PREFIXES = ("/health/", "/docs", "/openapi.yaml", "/.well-known/", "/token", "/metrics")
_CACHEABLE_PREFIXES = ("/docs", "/openapi.yaml")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
DATABASE_RETRY_AFTER_SECONDS = "5"
# Recorded when the client went away before any answer was sent (nginx's "client closed request").
CLIENT_CLOSED_REQUEST = 499


def is_api_path(path: str) -> bool:
    return not path.startswith(_NOT_JSON_API_PREFIXES)


class _BodyTooLarge(Exception):
    pass


class EdgeMiddleware:
    """``body_limit`` holds for every request but the methods ``exceptions`` name (the route
    table's edge rules: an upload's own limit, an image served whatever ``Accept`` says)."""

    def __init__(self, app: ASGIApp, body_limit: int, exceptions: Sequence[EdgeException] = ()) -> None:
        self.app = app
        self.body_limit = body_limit
        self.exceptions = tuple(exceptions)

    def _exception_for(self, method: str, path: str) -> EdgeException | None:
        for exception in self.exceptions:
            if exception.method == method and exception.path.match(path):
                return exception
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived_at = time.perf_counter()
        request_id = incoming_request_id(_raw_header(scope, b"x-request-id"))
        context = request_id_context.set(request_id)
        status = CLIENT_CLOSED_REQUEST

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._answer(scope, receive, send_recording_status, request_id)
        finally:
            duration = time.perf_counter() - arrived_at
            route = route_template(scope)
            method: str = scope["method"]
            metrics.observe_request(route, method, status, duration)
            client = scope.get("client")
            log_access(
                method=method,
                route=route,
                status=status,
                duration_ms=duration * 1000,
                client=client[0] if client else "-",
            )
            request_id_context.reset(context)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        no_store = not path.startswith(_CACHEABLE_PREFIXES)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.extend(_SECURITY_HEADERS)
                headers.append((b"x-request-id", request_id.encode()))
                if no_store and not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        async def respond(error: ApiError) -> None:
            if not started:
                await jsonapi.error_response(error)(scope, receive, send_with_headers)

        headers = dict(scope.get("headers", []))
        exception = self._exception_for(scope["method"], path) if self.exceptions else None
        ignores_accept = exception is not None and exception.ignores_accept
        if (
            is_api_path(path)
            and not ignores_accept
            and not jsonapi.accept_is_acceptable(_header(headers, b"accept"))
        ):
            await respond(ApiError(catalogue.UNSUPPORTED_ACCEPT))
            return
        body_limit = self.body_limit
        if exception is not None and exception.body_limit is not None:
            body_limit = exception.body_limit
        declared_length = _header(headers, b"content-length")
        if declared_length is not None and declared_length.isdigit() and int(declared_length) > body_limit:
            await respond(ApiError(catalogue.BODY_TOO_LARGE))
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > body_limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await respond(ApiError(catalogue.BODY_TOO_LARGE))
        except ClientDisconnect:
            logger.debug("client went away before the request was read")
        except Exception as error:
            if not is_unavailable(error):
                logger.exception("unhandled error")
                await respond(ApiError(catalogue.INTERNAL_ERROR))
                return
            logger.warning("database unavailable: %r", error)
            await respond(
                ApiError(catalogue.SERVICE_UNAVAILABLE, headers={"Retry-After": DATABASE_RETRY_AFTER_SECONDS})
            )


def _raw_header(scope: Scope, name: bytes) -> bytes | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return bytes(value)
    return None


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return jsonapi.error_response(exc)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """The router's own 404 and 405, in the catalogue's words."""
    assert isinstance(exc, HTTPException)
    headers: dict[str, Any] = dict(exc.headers or {})
    if exc.status_code == 405:
        return jsonapi.error_response(ApiError(catalogue.METHOD_NOT_ALLOWED, headers=headers))
    if exc.status_code == 404:
        return jsonapi.error_response(ApiError(catalogue.NOT_FOUND))
    return jsonapi.error_response(ApiError(catalogue.INVALID_DOCUMENT))


async def hashing_overloaded_handler(request: Request, exc: Exception) -> Response:
    """Every argon2 thread is busy and the queue is full: 503, with how long the queue takes to drain."""
    assert isinstance(exc, HashingOverloaded)
    logger.warning("argon2 queue full; refused with Retry-After %s", exc.retry_after)
    return jsonapi.error_response(
        ApiError(catalogue.SERVICE_UNAVAILABLE, headers={"Retry-After": str(exc.retry_after)})
    )
