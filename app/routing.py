"""One route per path, dispatching on the method, so 405 answers carry the path's full ``Allow``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["Endpoint", "resource_route"]

Endpoint = Callable[[Request], Awaitable[Response]]


def resource_route(path: str, handlers: Mapping[str, Endpoint], name: str | None = None) -> Route:
    table = dict(handlers)
    if "GET" in table:
        table.setdefault("HEAD", table["GET"])

    async def dispatch(request: Request) -> Response:
        return await table[request.method](request)

    return Route(path, dispatch, methods=list(table), name=name)
