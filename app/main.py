"""The application factory: ``create_app(settings)``; ``app`` is what uvicorn serves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from app import tracing
from app.cors import CorsMiddleware
from app.edge import EdgeMiddleware, api_error_handler, hashing_overloaded_handler, http_exception_handler
from app.logs import configure_logging, install_request_id_in_records
from app.mail.worker import DeliveryWorker
from app.passwords import HashingOverloaded
from app.routing import edge_exceptions, route_templates
from app.services import build_services
from app.services.limiter import RedisAttemptStore
from app.settings import FACES, Settings
from errors import ApiError
from errors.oauth import OAuthError
from resources import service
from resources.backoffice.import_files import load_row as import_row_loader
from resources.backoffice.routes import routes as backoffice_routes
from resources.storefront import oauth
from resources.storefront.routes import routes as storefront_routes

__all__ = ["create_app", "routes", "import_row_loader"]


WELL_KNOWN = "/.well-known/"


def routes(faces: tuple[str, ...] = FACES) -> list[BaseRoute]:
    """The served faces' route tables (BO §1), then the service endpoints; ``/.well-known/*``
    always. A face not served answers its paths 404 (007) as any unknown path."""
    storefront = storefront_routes()
    if "storefront" not in faces:
        storefront = [route for route in storefront if getattr(route, "path", "").startswith(WELL_KNOWN)]
    backoffice = backoffice_routes() if "backoffice" in faces else []
    return [*storefront, *backoffice, *service.routes()]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_environment()
    services = build_services(settings, import_row_loader=import_row_loader)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.db.connect()
        # The background worker (GLUE_MAIL_WORKER_ENABLED) delivers the storefront's mail (off when
        # that face is not served) and, in the same loop, runs the back-office's import jobs
        # (GLUE_JOBS_WORKER_ENABLED, off when the back-office is not served).
        delivering = settings.mail_worker_enabled and "storefront" in settings.faces
        running_jobs = (
            settings.mail_worker_enabled and settings.jobs_worker_enabled and "backoffice" in settings.faces
        )
        worker = DeliveryWorker(
            services.db,
            settings,
            services.outbox,
            jobs=services.imports if running_jobs else None,
            delivers=delivering,
        )
        delivery = asyncio.create_task(worker.run()) if delivering or running_jobs else None
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
            await worker.close()
            await services.db.disconnect()
            services.hasher.close()
            if isinstance(services.limiter_store, RedisAttemptStore):
                await services.limiter_store.close()

    table = routes(settings.faces)
    middleware = [
        Middleware(
            EdgeMiddleware, body_limit=settings.body_limit, exceptions=edge_exceptions(table, settings)
        )
    ]
    if settings.cors_origins:
        middleware.insert(0, Middleware(CorsMiddleware, origins=settings.cors_origins, routes=table))
    app = Starlette(
        routes=table,
        middleware=middleware,
        exception_handlers={
            ApiError: api_error_handler,
            OAuthError: oauth.oauth_error_handler,
            HTTPException: http_exception_handler,
            HashingOverloaded: hashing_overloaded_handler,
        },
        lifespan=lifespan,
    )
    app.state.services = services
    # The access log, the metrics and the spans name a request by its route's template.
    app.state.route_templates = route_templates(app.routes)
    install_request_id_in_records()
    return app


def app() -> Starlette:
    """The factory every worker process calls (``glue-customers serve`` runs uvicorn with it)."""
    settings = Settings.from_environment()
    configure_logging(settings)
    tracing.check_available()
    application = create_app(settings)
    if tracing.requested():
        tracing.instrument(application, tracing.exporting_provider())
    return application
