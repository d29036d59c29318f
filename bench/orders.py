"""Commerce ingest and order-list benchmark (CB §13: O1–O4, C1), on PostgreSQL: ``make bench-orders``.

1. Reset BENCH_ORDERS_DATABASE_URL (default ``postgresql://postgres@127.0.0.1:5432/bench_orders``) to
   the migration head and seed BENCH_ORDERS_CUSTOMERS (default 10,000) customers with live sessions
   (bench/seed.py: one shared argon2 hash, tokens signed by the service's own signer), an
   integration client with ``commerce:write`` and ``customers:read``, and one customer with 10,000
   orders (ingested through the order service in batches of 500, aggregates on).
2. Serve the application with uvicorn, BENCH_ORDERS_WORKERS workers (default 4: C1 asks for four),
   bench/run.py's production flags.
3. Measure, in this one run and against these workers, with BENCH_ORDERS_CONNECTIONS (default 16)
   concurrent httpx clients for BENCH_ORDERS_SECONDS (default 10) after a short warm-up:
   - the baselines: PATCH own profile (req/s) and GET own profile (p95) over the seeded customers;
   - BO §9's back-office GET customer (the integration client's token, its audit entry written before
     each answer): req/s; target ≥ 50 % of GET own profile;
   - O1 single-order upserts (3 items, a random customer of the 10,000 each, a fresh orderNumber):
     orders/s, p50, p99; target ≥ 50 % of PATCH own profile req/s;
   - O2 ``order-batches`` of 500 (random customers): orders/s; target ≥ 10 × O1;
   - O3 status changes on one customer's orders (every request locks that customer): orders/s, p99;
   - O4 the storefront order list of the customer with 10,000 orders, first page and
     ``page[offset]=9980``: p95, p99; targets p95 ≤ 1.5 × and ≤ 3 × GET own profile p95;
   - C1 100 parallel upserts of one new order: rows and aggregates must show it once.
   O5 (search over 1,000,000 customers) is a row of ``make bench-backoffice`` (bench/backoffice.py).

The load generator is Python (httpx) on the same machine as the server, so absolute rates are lower
than wrk's in ``make bench``; every ratio compares numbers taken by the same generator in this run.
The table is printed and written to ``bench/results/orders.md``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

import bench.run as run_module
from app.models import AuditActor
from app.services import build_services
from app.services.operators import Writer
from app.settings import Settings
from bench import seed
from bench.run import STATE, Server, log, service_environment
from schemas.orders import load_order

URL = os.environ.get("BENCH_ORDERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_orders")
CUSTOMERS = int(os.environ.get("BENCH_ORDERS_CUSTOMERS", "10000"))
WORKERS = int(os.environ.get("BENCH_ORDERS_WORKERS", "4"))
CONNECTIONS = int(os.environ.get("BENCH_ORDERS_CONNECTIONS", "16"))
SECONDS = float(os.environ.get("BENCH_ORDERS_SECONDS", "10"))
WARMUP_SECONDS = float(os.environ.get("BENCH_ORDERS_WARMUP_SECONDS", "2"))
PORT = int(os.environ.get("BENCH_ORDERS_PORT", "8785"))
LIST_ORDERS = 10_000
BATCH = 500
C1_PARALLEL = 100
RESULTS = Path(__file__).resolve().parent / "results" / "orders.md"
JSON_API = "application/vnd.api+json"
KEY_PATH = STATE / "jwt-private.pem"
ISSUER = f"http://127.0.0.1:{PORT}"
_numbers = itertools.count(1)
_chance = random.Random(14)


def _settings() -> Settings:
    return Settings(database_url=URL, jwt_private_key_path=str(KEY_PATH))


def _order(reference: str, number: str, *, minute: int = 0) -> dict[str, Any]:
    moment = (datetime(2026, 11, 20, 13, 0, tzinfo=UTC) + timedelta(minutes=minute)).isoformat()
    return {
        "orderNumber": number,
        "customerReference": reference,
        "orderDate": moment,
        "status": "new",
        "currencyIsoCode": "EUR",
        "totals": {"grandTotal": 23980, "deliveryCosts": 490},
        "sourceUpdatedAt": moment,
        "items": [
            {"sku": "A-1001", "name": "Drill", "quantity": 1, "unitPrice": 11500},
            {"sku": "A-2002", "name": "Drill bits", "quantity": 3, "unitPrice": 2990},
            {"sku": "A-3003", "name": "Case", "quantity": 1, "unitPrice": 3020},
        ],
    }


def _fresh_number() -> str:
    return f"B{os.getpid()}-{next(_numbers)}"


async def _seed_commerce(customers: list[tuple[str, str]]) -> tuple[str, str]:
    """An integration client (its id and secret) and the 10,000 orders of the list customer."""
    services = build_services(_settings())
    await services.db.connect()
    try:
        writer = Writer(actor=AuditActor("cli", "admin", "CLI create"), operator_id=None, stores=None)
        client, secret = await services.integration_clients.create(
            {"name": "bench-commerce", "permissions": ["customers:read", "commerce:write"], "stores": None},
            writer,
        )
        store = services.stores.default
        reference = customers[0][0]
        rows = [load_order(_order(reference, f"L-{index:05d}", minute=index)) for index in range(LIST_ORDERS)]
        await services.orders.seed(store, rows)
    finally:
        await services.db.disconnect()
    connection = await asyncpg.connect(URL)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return client.id, secret


async def _client_token(http: httpx.AsyncClient, client_id: str, secret: str) -> str:
    response = await http.post(
        "/backoffice/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


Request = Callable[[httpx.AsyncClient], Awaitable[tuple[httpx.Response, int]]]


async def _load(
    http: httpx.AsyncClient, request: Request, seconds: float, connections: int
) -> dict[str, Any]:
    """``connections`` loops sending ``request`` for ``seconds``: latencies, units done, failures."""
    latencies: list[float] = []
    units = 0
    failures: list[str] = []
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal units
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response, count = await request(http)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                failures.append(f"{response.status_code} {response.text[:200]}")
            else:
                units += count

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(connections)))
    elapsed = time.monotonic() - started
    return {
        "rate": units / elapsed,
        "requests": len(latencies),
        "p50": _percentile(latencies, 0.50),
        "p95": _percentile(latencies, 0.95),
        "p99": _percentile(latencies, 0.99),
        "failures": failures,
    }


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def _scenario(
    http: httpx.AsyncClient, name: str, request: Request, connections: int = CONNECTIONS
) -> dict[str, Any]:
    log(f"{name}: warm-up {WARMUP_SECONDS:.0f}s, then {SECONDS:.0f}s × {connections} clients")
    if WARMUP_SECONDS:
        await _load(http, request, WARMUP_SECONDS, connections)
    result = await _load(http, request, SECONDS, connections)
    if result["failures"]:
        log(f"{name}: {len(result['failures'])} failures, first: {result['failures'][0]}")
    return result


async def _c1(http: httpx.AsyncClient, headers: dict[str, str], reference: str) -> dict[str, Any]:
    """100 parallel upserts of one new order: one row, counted once."""
    number = f"C1-{time.time_ns()}"
    body = {"data": {"type": "orders", "attributes": _order(reference, number)}}
    responses = await asyncio.gather(
        *(http.post("/backoffice/stores/DE/orders", json=body, headers=headers) for _ in range(C1_PARALLEL))
    )
    outcomes: dict[str, int] = {}
    for response in responses:
        key = (
            response.json().get("meta", {}).get("outcome")
            if response.status_code < 300
            else str(response.status_code)
        )
        outcomes[str(key)] = outcomes.get(str(key), 0) + 1
    connection = await asyncpg.connect(URL)
    try:
        rows = await connection.fetchval("SELECT count(*) FROM orders WHERE order_number = $1", number)
        aggregates = await connection.fetchrow(
            "SELECT orders_count, transactions_count, transactions_amount FROM customers"
            " WHERE reference = $1",
            reference,
        )
    finally:
        await connection.close()
    return {"outcomes": outcomes, "rows": rows, "aggregates": dict(aggregates)}


async def _measure(base: str, customers: list[tuple[str, str]], client_id: str, secret: str) -> list[str]:
    limits = httpx.Limits(max_connections=CONNECTIONS * 2, max_keepalive_connections=CONNECTIONS * 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        backoffice = {
            "Authorization": f"Bearer {await _client_token(http, client_id, secret)}",
            "Content-Type": JSON_API,
        }
        # The list customer's 10,000 orders stay its own; C1's customer (the last) has none before it.
        shoppers = customers[1:-1]
        patched = itertools.count(1)

        async def patch_profile(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
            reference, token = _chance.choice(shoppers)
            body = {
                "data": {
                    "type": "customers",
                    "id": reference,
                    "attributes": {"firstName": f"P{next(patched)}"},
                }
            }
            headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON_API}
            return await client.patch(f"/customers/{reference}", json=body, headers=headers), 1

        async def get_profile(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
            reference, token = _chance.choice(shoppers)
            return await client.get(
                f"/customers/{reference}", headers={"Authorization": f"Bearer {token}"}
            ), 1

        read_headers = {"Authorization": backoffice["Authorization"]}

        async def backoffice_get(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
            reference, _ = _chance.choice(shoppers)
            return await client.get(f"/backoffice/customers/{reference}", headers=read_headers), 1

        async def single_order(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
            reference, _ = _chance.choice(shoppers)
            body = {"data": {"type": "orders", "attributes": _order(reference, _fresh_number())}}
            return await client.post("/backoffice/stores/DE/orders", json=body, headers=backoffice), 1

        async def order_batch(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
            rows = [_order(_chance.choice(shoppers)[0], _fresh_number()) for _ in range(BATCH)]
            body = {"data": {"type": "order-batches", "attributes": {"orders": rows}}}
            return await client.post(
                "/backoffice/stores/DE/order-batches", json=body, headers=backoffice
            ), BATCH

        contended = customers[1][0]
        contended_orders = [f"S-{index}" for index in range(50)]
        rows = [_order(contended, number) for number in contended_orders]
        created = await http.post(
            "/backoffice/stores/DE/order-batches",
            json={"data": {"type": "order-batches", "attributes": {"orders": rows}}},
            headers=backoffice,
        )
        created.raise_for_status()
        status_moments = itertools.count(1)

        async def status_change(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
            step = next(status_moments)
            moment = (datetime(2026, 11, 21, tzinfo=UTC) + timedelta(milliseconds=step)).isoformat()
            body = {
                "data": {
                    "type": "orders",
                    "attributes": {
                        "status": "cancelled" if step % 2 else "shipped",
                        "sourceUpdatedAt": moment,
                    },
                }
            }
            number = contended_orders[step % len(contended_orders)]
            return await client.patch(
                f"/backoffice/stores/DE/orders/{number}", json=body, headers=backoffice
            ), 1

        lister, lister_token = customers[0]

        def order_list(query: str) -> Request:
            async def request(client: httpx.AsyncClient) -> tuple[httpx.Response, int]:
                headers = {"Authorization": f"Bearer {lister_token}"}
                return await client.get(f"/customers/{lister}/orders{query}", headers=headers), 1

            return request

        patch = await _scenario(http, "PATCH own profile", patch_profile)
        get = await _scenario(http, "GET own profile", get_profile)
        bo_get = await _scenario(http, "back-office GET customer, audit write included", backoffice_get)
        o1 = await _scenario(http, "O1 single-order upserts", single_order)
        o2 = await _scenario(http, "O2 order-batches of 500", order_batch, connections=2)
        o3 = await _scenario(http, "O3 status changes on one customer", status_change)
        o4_first = await _scenario(http, "O4 order list, first page", order_list(""))
        o4_deep = await _scenario(http, "O4 order list, page[offset]=9980", order_list("?page[offset]=9980"))
        c1_customer = customers[-1][0]
        c1 = await _c1(http, backoffice, c1_customer)

    def row(name: str, result: dict[str, Any], unit: str, target: str, verdict: str) -> str:
        return (
            f"| {name} | {result['rate']:.1f} {unit} | {result['p50']:.1f} | {result['p95']:.1f} | "
            f"{result['p99']:.1f} | {len(result['failures'])} | {target} | {verdict} |"
        )

    def verdict(met: bool) -> str:
        return "pass" if met else "FAIL"

    o1_share = o1["rate"] / patch["rate"]
    bo_share = bo_get["rate"] / get["rate"]
    o2_times = o2["rate"] / o1["rate"]
    first_ratio = o4_first["p95"] / get["p95"]
    deep_ratio = o4_deep["p95"] / get["p95"]
    aggregates = c1["aggregates"]
    c1_met = c1["rows"] == 1 and aggregates["orders_count"] == 1 and aggregates["transactions_count"] == 1
    return [
        "| scenario | rate | p50 ms | p95 ms | p99 ms | failed | target | result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        row("PATCH own profile (baseline)", patch, "req/s", "—", "—"),
        row("GET own profile (baseline)", get, "req/s", "—", "—"),
        row(
            "BO §9: back-office GET customer (client R), audit write included",
            bo_get,
            "req/s",
            f"≥ 50 % of GET own profile: {bo_share:.0%}",
            verdict(bo_share >= 0.5),
        ),
        row(
            "O1 single-order upserts, 3 items",
            o1,
            "orders/s",
            f"≥ 50 % of PATCH: {o1_share:.0%}",
            verdict(o1_share >= 0.5),
        ),
        row(
            "O2 order-batches of 500 (2 clients)",
            o2,
            "orders/s",
            f"≥ 10 × O1: {o2_times:.1f} ×",
            verdict(o2_times >= 10),
        ),
        row("O3 status changes, one customer", o3, "orders/s", "reported", "—"),
        row(
            "O4 list of 10,000 orders, first page",
            o4_first,
            "req/s",
            f"p95 ≤ 1.5 × GET: {first_ratio:.2f} ×",
            verdict(first_ratio <= 1.5),
        ),
        row(
            "O4 list, page[offset]=9980",
            o4_deep,
            "req/s",
            f"p95 ≤ 3 × GET: {deep_ratio:.2f} ×",
            verdict(deep_ratio <= 3),
        ),
        "",
        f"C1 {C1_PARALLEL} parallel upserts of one new order ({WORKERS} workers): outcomes {c1['outcomes']}, "
        f"rows {c1['rows']}, aggregates {aggregates}: {verdict(c1_met)} (target: 1 row, counted once)",
        "O5 (search over 1,000,000 customers): a row of make bench-backoffice, not measured here.",
    ]


async def _reset_and_seed() -> tuple[list[tuple[str, str]], str, str]:
    settings = _settings()
    if await seed.ensure_database(URL):
        log(f"created database {seed.database_name(URL)}")
    await asyncio.to_thread(seed.reset_schema, settings)
    customer_file = STATE / "orders-customers.txt"
    await asyncio.to_thread(seed.seed, settings, CUSTOMERS, customer_file, ISSUER)
    customers = []
    for line in customer_file.read_text().splitlines():
        _, reference, _, token = line.split()
        customers.append((reference, token))
    client_id, secret = await _seed_commerce(customers)
    return customers, client_id, secret


def main() -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log("migrating and seeding")
    customers, client_id, secret = asyncio.run(_reset_and_seed())
    log(f"seeded {CUSTOMERS} customers and {LIST_ORDERS} orders in {time.monotonic() - started:.0f}s")
    run_module.WORKERS = WORKERS  # C1's four workers; Server reads the module's count
    environment = {
        **service_environment(),
        "GLUE_DATABASE_URL": URL,
        "GLUE_JWT_PRIVATE_KEY_PATH": str(KEY_PATH),
        "GLUE_DATABASE_POOL_SIZE": "5",
    }
    server = Server("app.main:app", PORT, environment=environment)
    server.start()
    try:
        lines = asyncio.run(_measure(server.url, customers, client_id, secret))
    finally:
        server.stop()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    header = [
        f"# Commerce ingest and order list, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load}; {WORKERS} uvicorn "
        f"workers on PostgreSQL; {CUSTOMERS} customers; {CONNECTIONS} httpx clients, "
        f"{SECONDS:.0f}s per scenario.",
        "",
    ]
    report = "\n".join([*header, *lines]) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
