"""OpenTelemetry (the ``otel`` extra): one request gives a server span named by its route template,
with a child span for each asyncpg statement it ran; with OTEL_EXPORTER_OTLP_ENDPOINT set, a server
exports them over OTLP/HTTP."""

from __future__ import annotations

import http.server
import threading
import time
from dataclasses import replace

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app import tracing
from app.main import create_app
from tests.conftest import empty_tables
from tests.helpers import bearer, registered_customer
from tests.servers import uvicorn_server


async def test_a_request_is_a_server_span_with_a_database_child_span(settings, is_postgres):
    if not is_postgres:
        pytest.skip("the tracing extra instruments asyncpg, PostgreSQL's driver; SQLite has none")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # No background loop: its statements (the outbox, the jobs) are spans of no request.
    app = create_app(replace(settings, mail_worker_enabled=False, jobs_worker_enabled=False))
    undo = tracing.instrument(app, provider)
    try:
        async with app.router.lifespan_context(app):
            await empty_tables(app)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                customer, tokens = await registered_customer(http)
                exporter.clear()
                response = await http.get(
                    f"/customers/{customer['id']}?include=addresses", headers=bearer(tokens["accessToken"])
                )
    finally:
        undo()
    assert response.status_code == 200

    spans = exporter.get_finished_spans()
    (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.name == "GET /customers/{reference}"
    assert server.attributes["http.route"] == "/customers/{reference}"
    assert server.attributes["http.status_code"] == 200
    statements = [span for span in spans if span.attributes.get("db.system") == "postgresql"]
    assert statements and all(span.kind is SpanKind.CLIENT for span in statements)
    assert all(
        span.parent is not None and span.parent.span_id == server.context.span_id for span in statements
    )
    assert all(span.context.trace_id == server.context.trace_id for span in spans)
    # neither the reference nor the query string is recorded anywhere
    recorded = " ".join(f"{span.name} {dict(span.attributes)}" for span in spans)
    assert customer["id"] not in recorded and "include" not in recorded


class _Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver: keeps every span name it is sent."""

    received: list[tuple[str, int]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        request = ExportTraceServiceRequest()
        request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                self.received.extend((span.name, span.kind) for span in scope_spans.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *arguments: object) -> None:
        pass


def test_with_an_otlp_endpoint_set_the_server_exports_its_spans(database_url, key_path, is_postgres):
    _Collector.received = []
    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    settings = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_address[1]}",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
    }
    try:
        with uvicorn_server(database_url, key_path, settings=settings, wait_for="/health/live") as base:
            assert httpx.get(f"{base}/health/ready").status_code == 200
            deadline = time.monotonic() + 10
            while ("GET /health/ready", 2) not in _Collector.received and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        collector.shutdown()
        collector.server_close()
    server_kind, client_kind = 2, 3  # the protobuf's SPAN_KIND_SERVER and SPAN_KIND_CLIENT
    assert ("GET /health/ready", server_kind) in _Collector.received
    assert any(kind == client_kind for _, kind in _Collector.received) == is_postgres
