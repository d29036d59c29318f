"""One route per path, dispatching on the method, so 405 answers carry the path's full ``Allow``.

Each method names its endpoint and its access rule; the rule is checked before the endpoint runs,
and the table stays readable as data (the permission-matrix tests walk it). A face may add its own
step before every rule (``face_check``): the storefront resolves the ``Store`` header there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.access import Access

__all__ = ["Endpoint", "FaceCheck", "ResourceRoute", "resource_route"]

Endpoint = Callable[[Request], Awaitable[Response]]
FaceCheck = Callable[[Request], None]


class ResourceRoute(Route):
    """A route whose methods each declare an access rule (``access_rules``)."""

    access_rules: dict[str, Access]


def resource_route(
    path: str,
    handlers: Mapping[str, tuple[Endpoint, Access]],
    name: str | None = None,
    *,
    face_check: FaceCheck | None = None,
) -> ResourceRoute:
    table = dict(handlers)
    if "GET" in table:
        table.setdefault("HEAD", table["GET"])

    async def dispatch(request: Request) -> Response:
        endpoint, access = table[request.method]
        if face_check is not None:
            face_check(request)
        request.state.principal = await access.check(request)
        return await endpoint(request)

    route = ResourceRoute(path, dispatch, methods=list(table), name=name)
    route.access_rules = {method: access for method, (_, access) in table.items()}
    return route
