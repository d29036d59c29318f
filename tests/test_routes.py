"""The route tables as data: every JSON:API route declares an access rule for each of its methods."""

from __future__ import annotations

from starlette.routing import Mount, Route

from app.access import Access
from app.main import routes
from app.routing import ResourceRoute

# Routes outside the JSON:API tables: OAuth 2.0 (RFC 6749 errors) of both faces and service endpoints.
PLAIN_ROUTES = {
    "/token",
    "/token/revoke",
    "/backoffice/token",
    "/backoffice/token/revoke",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
    "/health/live",
    "/health/ready",
    "/openapi.yaml",
    "/docs",
    "/docs/assets/docs-init.js",
    "/docs/assets/{name}",
}


def test_every_json_api_route_declares_an_access_rule_per_method() -> None:
    for route in routes():
        assert isinstance(route, Route | Mount)
        if route.path in PLAIN_ROUTES:
            continue
        assert isinstance(route, ResourceRoute), f"{route.path} is not in a face's route table"
        assert route.methods is not None
        assert set(route.access_rules) == set(route.methods), route.path
        assert all(isinstance(rule, Access) for rule in route.access_rules.values()), route.path


def test_paths_are_unique() -> None:
    paths = [route.path for route in routes() if isinstance(route, Route | Mount)]
    assert len(paths) == len(set(paths))
