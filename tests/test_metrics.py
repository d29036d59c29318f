"""``GET /metrics``: Prometheus' text format by route template; argon2, database, outbox and limiter
metrics; who may read it; one sum over several worker processes."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from app.version import VERSION
from tests.conftest import empty_tables
from tests.helpers import JSON_API, bearer, document, error, post, registered_customer
from tests.servers import uvicorn_server

REMOTE = ("203.0.113.7", 40000)
METRICS_TOKEN = "scraper-token-0123456789"
REFUSED = error(
    403, "020", "Metrics are served to loopback clients and to bearers of the metrics token only."
)


def value(exposition: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` (0 when absent: a series appears with its first observation)."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return response.text


@asynccontextmanager
async def client_of(
    app: Starlette, address: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` (its lifespan running, its tables empty) connecting from ``address``."""
    async with app.router.lifespan_context(app):
        await empty_tables(app)
        transport = httpx.ASGITransport(app=app, client=address)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


class TestWhatIsMeasured:
    async def test_requests_are_counted_by_route_template_method_and_status(self, client):
        customer, tokens = await registered_customer(client)
        profile = {"route": "/customers/{reference}", "method": "GET"}
        before = await scrape(client)
        for _ in range(3):
            assert (
                await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
            ).status_code == 200
        foreign = await client.get("/customers/DE--999999", headers=bearer(tokens["accessToken"]))
        assert foreign.status_code == 404
        after = await scrape(client)

        def grew(name: str, status: str) -> float:
            return value(after, name, **profile, status=status) - value(
                before, name, **profile, status=status
            )

        assert grew("glue_http_requests_total", "200") == 3
        assert grew("glue_http_request_duration_seconds_count", "200") == 3
        assert grew("glue_http_requests_total", "404") == 1
        assert customer["id"] not in after and "DE--999999" not in after  # references are no labels
        assert value(after, "glue_build_info", version=VERSION) == 1

    async def test_unknown_paths_share_one_series(self, client):
        unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
        before = value(await scrape(client), "glue_http_requests_total", **unmatched)
        for path in ("/nothing", "/customers/DE--1/nothing/else"):
            assert (await client.get(path)).status_code == 404
        after = await scrape(client)
        assert value(after, "glue_http_requests_total", **unmatched) - before == 2
        assert "nothing" not in after

    async def test_logins_move_the_argon2_database_and_limiter_metrics(self, app_factory):
        # No delivery worker: its polls hold a connection now and then, which a scrape may see.
        app = app_factory(login_limit_per_account=2, mail_worker_enabled=False)
        wrong = document("access-tokens", {"username": "someone@example.com", "password": "Wrong-Pass-1"})
        async with client_of(app) as http:
            before = await scrape(http)
            statuses = [(await post(http, "/access-tokens", wrong)).status_code for _ in range(3)]
            after = await scrape(http)
        assert statuses == [401, 401, 429]  # the third is over the account's limit of 2

        def grew(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert grew("glue_limiter_refusals_total", limit="login-account") == 1
        assert grew("glue_argon2_queue_wait_seconds_count") == 2  # one verification per counted attempt
        assert value(after, "glue_argon2_in_flight") == 0
        assert grew("glue_database_connection_wait_seconds_count") >= 3
        # the scrape's own backlog query holds a connection no longer than its statement
        assert value(after, "glue_database_connections_in_use") == 0

    async def test_the_outbox_backlog_is_the_mail_waiting_to_be_sent(self, app_factory):
        app = app_factory(mail_worker_enabled=False, forgotten_password_min_seconds=0)
        async with client_of(app) as http:
            customer, _ = await registered_customer(http)
            assert (await scrape(http)).count("glue_mail_outbox_depth 0.0") == 1
            forgotten = document("customer-forgotten-password", {"email": customer["attributes"]["email"]})
            assert (await post(http, "/customer-forgotten-password", forgotten)).status_code == 204
            after = await scrape(http)
        assert value(after, "glue_mail_outbox_depth") == 1
        assert 0 < value(after, "glue_mail_outbox_oldest_due_age_seconds") < 60


class TestWhoMayRead:
    async def test_a_remote_client_is_refused_with_020_before_anything_is_read(self, app_factory):
        async with client_of(app_factory(), REMOTE) as http:
            response = await http.get("/metrics")
        assert response.status_code == 403
        assert response.json() == {"errors": [REFUSED]}

    async def test_a_customer_access_token_is_no_metrics_token(self, app_factory):
        async with client_of(app_factory(metrics_token=METRICS_TOKEN), REMOTE) as http:
            _, tokens = await registered_customer(http)
            response = await http.get("/metrics", headers=bearer(tokens["accessToken"]))
        assert response.status_code == 403 and response.json() == {"errors": [REFUSED]}

    async def test_the_metrics_token_opens_it_and_nothing_else_does(self, app_factory):
        async with client_of(app_factory(metrics_token=METRICS_TOKEN), REMOTE) as http:
            right = await http.get("/metrics", headers=bearer(METRICS_TOKEN))
            refused = [
                await http.get("/metrics", headers=headers)
                for headers in (
                    bearer(METRICS_TOKEN[:-1]),
                    bearer(METRICS_TOKEN + "x"),
                    {"Authorization": f"Basic {METRICS_TOKEN}"},
                    {"Authorization": "Bearer schlüssel-0123456789".encode()},  # not ASCII: no 500
                    {},
                )
            ]
        assert right.status_code == 200 and "glue_http_requests_total" in right.text
        assert [(response.status_code, response.json()) for response in refused] == [
            (403, {"errors": [REFUSED]})
        ] * 5

    async def test_a_loopback_request_a_proxy_forwarded_is_not_local(self, client):
        for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
            response = await client.get("/metrics", headers=header)
            assert response.status_code == 403 and response.json() == {"errors": [REFUSED]}

    async def test_metrics_public_opens_it_to_everyone(self, app_factory):
        async with client_of(app_factory(metrics_public=True), REMOTE) as http:
            await scrape(http)


def _per_process_counts(directory: Path, route: str) -> list[float]:
    """This route's request count in each worker process's own file."""
    counts = []
    for path in sorted(directory.glob("counter_*.db")):
        for family in MultiProcessCollector.merge([str(path)]):
            if family.name == "glue_http_requests":
                counts.append(sum(s.value for s in family.samples if s.labels.get("route") == route))
    return counts


@pytest.mark.slow
def test_two_worker_processes_answer_every_scrape_with_the_same_sum(database_url, key_path, tmp_path):
    if database_url.startswith("postgres"):
        pytest.skip("the sum over worker processes is the same whatever the database: run once, on SQLite")
    directory = tmp_path / "metrics"
    settings = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    sent = 0
    with uvicorn_server(database_url, key_path, workers=2, settings=settings) as base:
        # A new connection per request, so the kernel spreads them over both workers; more rounds
        # (bounded) in the unlikely case one worker took them all.
        for _ in range(10):
            for _ in range(20):
                with httpx.Client(base_url=base) as http:
                    assert http.get("/health/live").status_code == 200
                sent += 1
            if sum(count > 0 for count in _per_process_counts(directory, "/health/live")) == 2:
                break
        totals = []
        for _ in range(8):
            with httpx.Client(base_url=base, headers={"Accept": JSON_API}) as http:
                totals.append(
                    value(
                        scrape_text := http.get("/metrics").text,
                        "glue_http_requests_total",
                        route="/health/live",
                        method="GET",
                        status="200",
                    )
                )
                assert math.isclose(value(scrape_text, "glue_argon2_in_flight"), 0)
    per_process = _per_process_counts(directory, "/health/live")

    assert len(per_process) == 2 and all(count > 0 for count in per_process)
    assert totals == [sent] * 8
