"""Ceiling B: the least a GET of one customer can cost on this stack.

A bare Starlette endpoint doing one primary-key read with asyncpg and answering JSON, served by
the same uvicorn settings as the service. The service's GET of a profile does that read plus
token verification, the session check, JSON:API rendering and the edge middleware.

``uvicorn --factory bench.ceiling_app:app`` with ``GLUE_DATABASE_URL`` and
``GLUE_DATABASE_POOL_SIZE`` set as for the service.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["app"]

QUERY = "SELECT id, reference, email, first_name, last_name FROM customers WHERE id = $1"


def app() -> Starlette:
    database_url = os.environ["GLUE_DATABASE_URL"]
    pool_size = int(os.environ.get("GLUE_DATABASE_POOL_SIZE", "10"))
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(database_url, min_size=1, max_size=pool_size)
        try:
            yield
        finally:
            await state["pool"].close()

    async def read_customer(request: Request) -> Response:
        row = await state["pool"].fetchrow(QUERY, int(request.path_params["customer_id"]))
        if row is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(dict(row))

    async def ready(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/customers/{customer_id:int}", read_customer),
            Route("/health/ready", ready),
        ],
        lifespan=lifespan,
    )
