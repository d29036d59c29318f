"""One route per path, dispatching on the method, so 405 answers carry the path's full ``Allow``.

Each method names its endpoint and its access rule; the rule is checked before the endpoint runs,
and the table stays readable as data (the permission-matrix tests walk it). A face may add its own
step before every rule (``face_check``): the storefront resolves the ``Store`` header there."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, compile_path
from starlette.types import Scope

from app.access import Access
from app.settings import Settings

__all__ = [
    "Endpoint",
    "FaceCheck",
    "EdgeRule",
    "EdgeException",
    "ResourceRoute",
    "resource_route",
    "route_template",
    "route_templates",
    "edge_exceptions",
]

Endpoint = Callable[[Request], Awaitable[Response]]
FaceCheck = Callable[[Request], None]


@dataclass(frozen=True)
class EdgeRule:
    """How the edge, which runs before routing, treats one method of a route unlike the others:
    its own body limit (from the settings), or no JSON:API ``Accept`` negotiation (a route that
    serves something else, such as an image)."""

    body_limit: Callable[[Settings], int] | None = None
    ignores_accept: bool = False


@dataclass(frozen=True)
class EdgeException:
    """An ``EdgeRule`` resolved for the edge: the full path pattern, the method, the limit."""

    path: re.Pattern[str]
    method: str
    body_limit: int | None
    ignores_accept: bool


class ResourceRoute(Route):
    """A route whose methods each declare an access rule (``access_rules``) and, where the edge
    must treat them apart, an edge rule (``edge_rules``)."""

    access_rules: dict[str, Access]
    edge_rules: dict[str, EdgeRule]


def resource_route(
    path: str,
    handlers: Mapping[str, tuple[Endpoint, Access]],
    name: str | None = None,
    *,
    face_check: FaceCheck | None = None,
    edge_rules: Mapping[str, EdgeRule] | None = None,
) -> ResourceRoute:
    table = dict(handlers)
    rules = dict(edge_rules or {})
    if "GET" in table:
        table.setdefault("HEAD", table["GET"])
        if "GET" in rules:
            rules.setdefault("HEAD", rules["GET"])

    async def dispatch(request: Request) -> Response:
        endpoint, access = table[request.method]
        if face_check is not None:
            face_check(request)
        request.state.principal = await access.check(request)
        return await endpoint(request)

    route = ResourceRoute(path, dispatch, methods=list(table), name=name)
    route.access_rules = {method: access for method, (_, access) in table.items()}
    route.edge_rules = rules
    return route


def edge_exceptions(routes: Sequence[BaseRoute], settings: Settings) -> list[EdgeException]:
    """Every method with an edge rule, by its route's full path (mount prefixes included)."""
    templates = route_templates(routes)
    found: list[EdgeException] = []

    def walk(items: Sequence[BaseRoute]) -> None:
        for route in items:
            if isinstance(route, Mount):
                walk(route.routes or [])
            elif isinstance(route, ResourceRoute):
                pattern = compile_path(templates[id(route)])[0]
                for method, rule in route.edge_rules.items():
                    limit = rule.body_limit(settings) if rule.body_limit is not None else None
                    found.append(EdgeException(pattern, method, limit, rule.ignores_accept))

    walk(routes)
    return found


def route_templates(routes: Sequence[BaseRoute], prefix: str = "") -> dict[int, str]:
    """The full path template of every route, its mounts' prefixes included, by route identity
    (Starlette routes compare by value and are not hashable)."""
    templates: dict[int, str] = {}
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                templates.update(route_templates(route.routes, prefix + route.path))
            else:  # an application mounted whole, such as static files
                templates[id(route)] = prefix + route.path + "/{path}"
        elif isinstance(route, Route):
            templates[id(route)] = prefix + route.path
    return templates


def route_template(scope: Scope) -> str | None:
    """The template of the route the router matched for this request (after routing), or None.

    The router records the innermost matched route in ``scope["route"]``; the application's table
    (``app.state.route_templates``, built by the factory) adds the prefixes of the mounts above it.
    A path under a mount that matched nothing there is unmatched too.
    """
    route = scope.get("route")
    if route is None:
        return None
    state = getattr(scope.get("app"), "state", None)
    templates: dict[int, str] | None = getattr(state, "route_templates", None)
    if templates is None:
        path: str | None = getattr(route, "path", None)
        return path
    return templates.get(id(route))
