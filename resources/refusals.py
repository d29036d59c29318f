"""Endpoints of paths kept for Glue's sake that refuse every request with one catalogued error,
after the route's access rule (a path without a reference or an id names nothing to act on)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.routing import Endpoint
from errors import ApiError, CatalogueEntry

__all__ = ["refuse_with"]


def refuse_with(entry: CatalogueEntry) -> Endpoint:
    async def refuse(request: Request) -> Response:
        raise ApiError(entry)

    refuse.__name__ = f"refuse_with_{entry.code}"
    return refuse
