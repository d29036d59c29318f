"""The application factory: ``create_app(settings)``; ``app`` is what uvicorn serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.edge import EdgeMiddleware, api_error_handler, http_exception_handler
from app.mail.worker import DeliveryWorker
from app.routing import resource_route
from app.services import build_services
from app.services.limiter import RedisAttemptStore
from app.settings import Settings
from errors import ApiError
from errors.oauth import OAuthError
from resources import addresses, confirmations, customers, oauth, passwords, service, tokens

__all__ = ["create_app", "routes"]


def routes() -> list[BaseRoute]:
    return [
        resource_route(
            "/customers",
            {
                "GET": customers.list_customers,
                "POST": customers.create_customer,
                "PATCH": customers.reference_missing,
                "DELETE": customers.reference_missing,
            },
        ),
        resource_route(
            "/customers/{reference}",
            {
                "GET": customers.get_customer,
                "PATCH": customers.update_customer,
                "DELETE": customers.delete_customer,
            },
        ),
        resource_route(
            "/customers/{reference}/addresses",
            {
                "GET": addresses.list_addresses,
                "POST": addresses.create_address,
                "PATCH": addresses.address_id_missing,
                "DELETE": addresses.address_id_missing,
            },
        ),
        resource_route(
            "/customers/{reference}/addresses/{address_id}",
            {
                "GET": addresses.get_address,
                "PATCH": addresses.update_address,
                "DELETE": addresses.delete_address,
            },
        ),
        resource_route("/access-tokens", {"POST": tokens.create_access_token}),
        resource_route(
            "/refresh-tokens",
            {
                "POST": tokens.create_refresh_token,
                "DELETE": tokens.resource_id_missing,
            },
        ),
        resource_route("/refresh-tokens/{token}", {"DELETE": tokens.revoke_refresh_token}),
        resource_route("/customer-password", {"PATCH": passwords.change_password}),
        resource_route("/customer-password/{reference}", {"PATCH": passwords.change_password}),
        resource_route("/customer-forgotten-password", {"POST": passwords.forgotten_password}),
        resource_route("/customer-restore-password", {"PATCH": passwords.restore_password}),
        resource_route("/customer-restore-password/{key}", {"PATCH": passwords.restore_password}),
        resource_route("/customer-confirmation", {"POST": confirmations.confirm_customer}),
        Route("/token", oauth.token, methods=["POST"]),
        Route("/token/revoke", oauth.revoke, methods=["POST"]),
        Route(
            "/.well-known/oauth-authorization-server", oauth.authorization_server_metadata, methods=["GET"]
        ),
        Route("/.well-known/jwks.json", oauth.jwks, methods=["GET"]),
        Route("/health/live", service.live, methods=["GET"]),
        Route("/health/ready", service.ready, methods=["GET"]),
        Route("/openapi.yaml", service.openapi_document, methods=["GET"]),
        Route("/docs", service.docs_page, methods=["GET"]),
        Route("/docs/assets/docs-init.js", service.docs_init_script, methods=["GET"]),
        Mount("/docs/assets", StaticFiles(directory=service.SWAGGER_UI_ASSETS)),
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_environment()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.db.connect()
        worker = DeliveryWorker(services.db, settings, services.outbox)
        delivery = asyncio.create_task(worker.run()) if settings.mail_worker_enabled else None
        try:
            yield
        finally:
            if delivery is not None:
                worker.stop()
                try:
                    await asyncio.wait_for(delivery, settings.smtp_timeout + 5)
                except TimeoutError:  # a claimed batch left unsent is retried once its claim lapses
                    delivery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivery
            await services.db.disconnect()
            if isinstance(services.limiter_store, RedisAttemptStore):
                await services.limiter_store.close()

    app = Starlette(
        routes=routes(),
        middleware=[Middleware(EdgeMiddleware, body_limit=settings.body_limit)],
        exception_handlers={
            ApiError: api_error_handler,
            OAuthError: oauth.oauth_error_handler,
            HTTPException: http_exception_handler,
        },
        lifespan=lifespan,
    )
    app.state.services = services
    return app


def app() -> Starlette:
    """uvicorn factory entry point: ``uvicorn --factory app.main:app``."""
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("databases").setLevel(logging.WARNING)
    return create_app()
