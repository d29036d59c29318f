"""OpenTelemetry tracing, the optional extra ``pip install 'glue-customers[otel]'``: one server span
per request and a child span per asyncpg statement, exported over OTLP.

It is on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set; the
exporter reads the other standard ``OTEL_*`` variables itself. Spans are named and labelled with the
route template, never the raw path (a customer reference is personal data); statements are recorded
without their parameters.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import SettingsError
from app.version import VERSION

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

__all__ = ["ENDPOINT_VARIABLES", "requested", "check_available", "instrument", "exporting_provider"]

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_REQUIRED_MODULES = (
    "opentelemetry.sdk",
    "opentelemetry.instrumentation.asgi",
    "opentelemetry.instrumentation.asyncpg",
    "opentelemetry.exporter.otlp.proto.http",
)
# Attributes the ASGI instrumentation fills from the raw URL, in either semantic-conventions mode.
_PATH_ATTRIBUTES = ("http.target", "url.path")
_URL_ATTRIBUTES = ("http.url", "url.full")


def requested(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return any(environ.get(name) for name in ENDPOINT_VARIABLES)


def _installed() -> bool:
    try:
        return all(importlib.util.find_spec(module) is not None for module in _REQUIRED_MODULES)
    except ModuleNotFoundError:  # a parent package is missing
        return False


def check_available(environ: Mapping[str, str] | None = None) -> None:
    """Stop the start when tracing is asked for but the extra is not installed."""
    if requested(environ) and not _installed():
        raise SettingsError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but OpenTelemetry is not installed: "
            "pip install 'glue-customers[otel]'"
        )


def _span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The name a server span starts with: the method alone; the route is known after routing."""
    return str(scope.get("method", "HTTP")), {}


class _RouteNaming:
    """Inside the server span: when the answer starts (the router has matched by then, and the span
    ends with the answer's last byte) the span is named ``GET /customers/{reference}`` and its path
    attributes carry the template instead of the raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_naming_the_span(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._name_span(scope)
            await send(message)

        await self.app(scope, receive, send_naming_the_span)

    @staticmethod
    def _name_span(scope: Scope) -> None:
        from opentelemetry import trace

        from app.routing import route_template

        span = trace.get_current_span()
        if not span.is_recording():
            return
        template = route_template(scope)
        span.update_name(f"{scope['method']} {template}" if template else str(scope["method"]))
        shown = template or "<unmatched>"
        if template:
            span.set_attribute("http.route", template)
        recorded: Mapping[str, Any] = getattr(span, "attributes", None) or {}
        for name in _PATH_ATTRIBUTES:
            if name in recorded:
                span.set_attribute(name, shown)
        for name in _URL_ATTRIBUTES:
            if name in recorded:
                server = scope.get("server") or ("", None)
                host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
                span.set_attribute(name, f"{scope.get('scheme', 'http')}://{host}{shown}")
        if "url.query" in recorded:
            span.set_attribute("url.query", "")


def instrument(app: Starlette, tracer_provider: TracerProvider | None = None) -> Callable[[], None]:
    """Trace ``app``'s requests and every asyncpg statement; returns what undoes the asyncpg part
    (instrumenting asyncpg patches the library for the whole process)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    # add_middleware puts each one outside those before: the span opens first, the naming runs in it.
    app.add_middleware(_RouteNaming)
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=tracer_provider,
        default_span_details=_span_details,
        exclude_spans=["receive", "send"],
    )
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    instrumentor.instrument(tracer_provider=tracer_provider)
    return instrumentor.uninstrument  # type: ignore[no-any-return]


def exporting_provider() -> TracerProvider:
    """Spans batched to the OTLP/HTTP endpoint the ``OTEL_*`` variables name."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes: dict[str, str] = {"service.version": VERSION}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = "glue-customers"
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
