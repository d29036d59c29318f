"""Back-office search and statistics benchmark (BO §9), on PostgreSQL: ``make bench-backoffice``.

1. Seed BENCH_BACKOFFICE_CUSTOMERS (default 1,000,000) customers by COPY: realistic names, e-mails,
   phones, cards, 5 % labelled, order aggregates, 1.2 addresses each; then the migrations from 0014
   on build the search indexes and VACUUM (ANALYZE) runs. A database already holding that many
   customers is reused, brought to the latest migration and vacuumed.
2. Serve the application with uvicorn (bench/run.py's production flags) and log an operator in.
3. Run each search and statistics scenario sequentially, BENCH_BACKOFFICE_REPEATS times (default 30),
   and write p50/p95 per scenario, pass/fail against its target, the machine, the PostgreSQL
   version and each search's ``EXPLAIN (ANALYZE)`` to ``bench/results/backoffice-<time>.md``.

Environment: BENCH_BACKOFFICE_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench_backoffice).
"""

# ruff: noqa: E501 - the scenarios' queries and SQL read best on one line each
from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from alembic import command

from app.migrate import alembic_config
from app.models import AuditActor
from app.queries import statistics as statistics_queries
from app.services import build_services
from app.services.operators import ADMIN_PERMISSIONS, Writer
from app.settings import Settings
from bench.run import STATE, Server, log, service_environment

URL = os.environ.get("BENCH_BACKOFFICE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_backoffice")
CUSTOMERS = int(os.environ.get("BENCH_BACKOFFICE_CUSTOMERS", "1000000"))
REPEATS = int(os.environ.get("BENCH_BACKOFFICE_REPEATS", "30"))
PORT = int(os.environ.get("BENCH_BACKOFFICE_PORT", "8775"))
RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "Bench-Operator-Password-1"
FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Ivan",
    "Jonas",
    "Karla",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tim",
    "Uwe",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
]
CITIES = [
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Düsseldorf",
    "Leipzig",
    "Dortmund",
    "Essen",
    "Bremen",
    "Dresden",
]


def _database(name: str) -> str:
    parts = urlsplit(URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _prepare_database() -> bool:
    """Create the database when missing; True when it already holds the seed."""
    name = urlsplit(URL).path.lstrip("/")
    admin = await asyncpg.connect(_database("postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(URL)
    try:
        exists = await connection.fetchval("SELECT to_regclass('customers') IS NOT NULL")
        if exists and await connection.fetchval("SELECT count(*) FROM customers") == CUSTOMERS:
            return True
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()
    return False


def _customers(rng: random.Random, now: datetime) -> Any:
    for number in range(1, CUSTOMERS + 1):
        first, last = (
            rng.choice(FIRST),
            rng.choice(LAST) + (str(rng.randrange(1000)) if rng.random() < 0.9 else ""),
        )
        email = f"{first}.{last}.{number}@example.com".lower()
        created = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        count = rng.choice((0, 0, 1, 2, 3, 5, 8, 13))
        amount = count * rng.randrange(500, 20000)
        yield (
            number,
            "DE",
            f"DE--{number}",
            email,
            email,
            first,
            last,
            "de_DE",
            created,
            created,
            "active" if rng.random() < 0.9 else rng.choice(("pending", "inactive")),
            f"+4915{number:09d}",
            f"CARD-{number:08d}",
            f"card-{number:08d}",
            True,
            count,
            amount,
            amount,
            amount // count if count else 0,
            count,
            created + timedelta(days=rng.randrange(1, 300)) if count else None,
        )


CUSTOMER_COLUMNS = [
    "id",
    "store",
    "reference",
    "email",
    "email_key",
    "first_name",
    "last_name",
    "locale",
    "created_at",
    "updated_at",
    "status",
    "phone",
    "loyalty_card_number",
    "loyalty_card_key",
    "agreement1",
    "transactions_count",
    "transactions_amount",
    "transactions_amount_without_delivery_costs",
    "average_transaction_amount",
    "orders_count",
    "last_transaction_date",
]


async def _seed() -> None:
    if await _prepare_database():
        log(f"reusing the seed of {CUSTOMERS} customers")
        await _indexes_and_vacuum()
        return
    await asyncio.to_thread(command.upgrade, alembic_config(URL), "0013")
    rng = random.Random(12)  # noqa: S311 - test data
    now = datetime.now(UTC)
    connection = await asyncpg.connect(URL)
    try:
        started = time.monotonic()
        await connection.copy_records_to_table(
            "customers", records=_customers(rng, now), columns=CUSTOMER_COLUMNS
        )
        addresses = []
        for number in range(1, CUSTOMERS + 1):
            for extra in range(2 if rng.random() < 0.2 else 1):
                addresses.append(
                    (
                        f"00000000-0000-4000-{extra:04d}-{number:012d}",
                        number,
                        "Ms",
                        "A",
                        "B",
                        "Hauptstraße 1",
                        f"{rng.randrange(10000, 99999)}",
                        rng.choice(CITIES),
                        "DE",
                        now,
                        now,
                    )
                )
        await connection.copy_records_to_table(
            "addresses",
            records=addresses,
            columns=[
                "id",
                "customer_id",
                "salutation",
                "first_name",
                "last_name",
                "address1",
                "zip_code",
                "city",
                "iso2_code",
                "created_at",
                "updated_at",
            ],
        )
        labels = []
        for number in rng.sample(range(1, CUSTOMERS + 1), CUSTOMERS // 20):
            tier = rng.choice(("gold", "silver", "bronze"))
            labels.append((number, "tier", tier, "tier", tier))
        await connection.copy_records_to_table(
            "customer_labels",
            records=labels,
            columns=["customer_id", "key", "value", "key_lower", "value_lower"],
        )
        await connection.execute("SELECT setval('customers_id_seq', $1)", CUSTOMERS)
        log(f"copied {CUSTOMERS} customers, {len(addresses)} addresses in {time.monotonic() - started:.0f} s")
    finally:
        await connection.close()
    await _indexes_and_vacuum()


async def _indexes_and_vacuum() -> None:
    """The migrations after the seed's (0015's search indexes and later ones), then VACUUM."""
    started = time.monotonic()
    await asyncio.to_thread(command.upgrade, alembic_config(URL), "head")
    connection = await asyncpg.connect(URL)
    try:
        # A live table is vacuumed by autovacuum; a table just filled by COPY is not yet, and until
        # it is, every index-only scan (counts, statistics) still reads the heap.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    log(f"migrations to head and VACUUM (ANALYZE) in {time.monotonic() - started:.0f} s")


async def _operator_token(base: str) -> str:
    services = build_services(Settings(database_url=URL, jwt_private_key_path=str(STATE / "jwt-private.pem")))
    await services.db.connect()
    try:
        email = f"bench-{int(time.time())}@example.com"
        writer = Writer(actor=AuditActor("cli", "admin", "CLI create"), operator_id=None, stores=None)
        await services.operators.create(
            {
                "email": email,
                "role": "admin",
                "first_name": "B",
                "last_name": "O",
                "permissions": list(ADMIN_PERMISSIONS),
                "stores": None,
                "password": PASSWORD,
                "confirm_password": PASSWORD,
            },
            writer,
        )
    finally:
        await services.db.disconnect()
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/backoffice/access-tokens",
            json={"data": {"type": "access-tokens", "attributes": {"username": email, "password": PASSWORD}}},
            headers={"Content-Type": "application/vnd.api+json"},
        )
        response.raise_for_status()
        return str(response.json()["data"]["attributes"]["accessToken"])


async def _timed(client: httpx.AsyncClient, url: str) -> tuple[list[float], dict[str, Any]]:
    timings = []
    body: dict[str, Any] = {}
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = await client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
    return timings, body


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]


async def _cursor_at(client: httpx.AsyncClient, sort: str, depth: int) -> str:
    """The URL of the cursor page starting ``depth`` rows in (keyset position read from the DB)."""
    connection = await asyncpg.connect(URL)
    try:
        column = {"-createdAt": "created_at", "-transactionsAmount": "transactions_amount"}[sort]
        row = await connection.fetchrow(
            f"SELECT {column} AS value, id FROM customers ORDER BY {column} DESC, id DESC OFFSET $1 LIMIT 1",  # noqa: S608
            max(depth - 1, 0),
        )
    finally:
        await connection.close()
    first = f"/backoffice/customers?sort={sort}&page[limit]=100&page[cursor]="
    if depth == 0:
        return first
    from app.jsonapi import _encode_cursor, _filters_fingerprint  # the service's own cursor spelling

    value = row["value"].isoformat() if isinstance(row["value"], datetime) else row["value"]
    fingerprint = _filters_fingerprint({"sort": sort})
    return first + _encode_cursor([value, row["id"]], fingerprint)


async def _level_writes(client: httpx.AsyncClient) -> list[str]:
    """BO §9 "level create, 1M customers" (report): a level every customer's level is recomputed
    against (set-based, in the write's transaction), then its deletion (recomputed again); for a
    threshold few customers reach and for one a quarter of them reach. A write the database cannot
    finish within GLUE_DATABASE_TIMEOUT answers 503 and is rolled back; its time is reported."""
    lines = []
    connection = await asyncpg.connect(URL)
    try:
        for threshold in (5_000_000, 50_000):
            holding = await connection.fetchval(
                "SELECT count(*) FROM customers WHERE store = 'DE' AND transactions_amount_without_delivery_costs >= $1",
                threshold,
            )
            attributes = {
                "store": "DE",
                "name": f"Bench {time.time_ns()}",
                "conditionValue": threshold,
                "rewardPercent": 1,
            }
            started = time.perf_counter()
            created = await client.post(
                "/backoffice/levels",
                json={"data": {"type": "levels", "attributes": attributes}},
                headers={"Content-Type": "application/vnd.api+json"},
            )
            create_ms = (time.perf_counter() - started) * 1000
            outcome = str(created.status_code)
            delete_ms = None
            if created.status_code == 201:
                started = time.perf_counter()
                deleted = await client.delete(f"/backoffice/levels/{created.json()['data']['id']}")
                delete_ms = (time.perf_counter() - started) * 1000
                outcome += f", delete {deleted.status_code}"
            lines.append(
                f"| level create, conditionValue {threshold} ({holding} customers reach it) | {create_ms:.1f} | | report | {outcome} | "
                + (f"delete {delete_ms:.1f} ms |" if delete_ms is not None else "nothing written |")
            )
    finally:
        await connection.close()
    return lines


def _days_of_last_year() -> tuple[list[datetime], list[datetime]]:
    """The 365 windows the statistics scenario counts (Berlin days, the last one until now)."""
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    now = datetime.now(UTC)
    first = now.astimezone(zone).date() - timedelta(days=364)
    starts = [datetime.combine(first + timedelta(days=day), dt_time(0), tzinfo=zone) for day in range(365)]
    return starts, [*starts[1:], now]


async def _explain(sql_hint: str, *arguments: Any) -> str:
    connection = await asyncpg.connect(URL)
    try:
        rows = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql_hint, *arguments)
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


SEARCHES = [
    (
        "exact e-mail",
        "?filter[email]={email}&filter[match]=exact",
        50,
        "SELECT id FROM customers WHERE email_key = '{email}' ORDER BY created_at DESC, id DESC LIMIT 10",
    ),
    (
        "lastName contains",
        "?filter[lastName]=ller42",
        50,
        "SELECT id FROM customers WHERE lower(last_name) LIKE '%ller42%' ORDER BY created_at DESC, id DESC LIMIT 10",
    ),
    (
        "label k:v",
        "?filter[label]=tier:gold",
        50,
        "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM customer_labels l WHERE l.customer_id = c.id AND key_lower='tier' AND value_lower='gold') ORDER BY created_at DESC, id DESC LIMIT 10",
    ),
    (
        "sorted amount range",
        "?filter[transactionsAmountFrom]=100000&filter[transactionsAmountTo]=120000&sort=-transactionsAmount",
        50,
        "SELECT id FROM customers WHERE transactions_amount BETWEEN 100000 AND 120000 ORDER BY transactions_amount DESC, id DESC LIMIT 10",
    ),
    # CB §13 O5: the aggregates the order ingest feeds (seeded here as columns), a range on one and the
    # sort on another.
    (
        "O5 amount range, sort -lastTransactionDate",
        "?filter[transactionsAmountFrom]=100000&filter[transactionsAmountTo]=120000&sort=-lastTransactionDate",
        50,
        "SELECT id FROM customers WHERE transactions_amount BETWEEN 100000 AND 120000 AND last_transaction_date IS NOT NULL ORDER BY last_transaction_date DESC NULLS FIRST, id DESC LIMIT 10",
    ),
    (
        "offset page 1, status active (estimate)",
        "?filter[status]=active",
        None,
        "SELECT count(*) FROM (SELECT id FROM customers WHERE status = 'active' LIMIT 10001) s",
    ),
]


async def _run() -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    await _seed()
    environment = {**service_environment(), "GLUE_DATABASE_URL": URL}
    server = Server("app.main:app", PORT, environment=environment)
    server.start()
    lines = [f"# Back-office search and statistics, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    try:
        token = await _operator_token(server.url)
        connection = await asyncpg.connect(URL)
        version = await connection.fetchval("SHOW server_version")
        email = await connection.fetchval("SELECT email_key FROM customers WHERE id = $1", CUSTOMERS // 2)
        await connection.close()
        lines += [
            f"Machine: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores; PostgreSQL {version}; "
            f"{CUSTOMERS} customers; {REPEATS} sequential requests per scenario.",
            "",
            "| scenario | p50 ms | p95 ms | target | result | meta |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        explains = []
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            for name, query, target, sql in SEARCHES:
                query, sql = query.replace("{email}", email), sql.replace("{email}", email)
                timings, body = await _timed(client, "/backoffice/customers" + query)
                p95 = _p95(timings)
                verdict = "report" if target is None else ("pass" if p95 < target else "FAIL")
                lines.append(
                    f"| search: {name} | {statistics.median(timings):.1f} | {p95:.1f} | "
                    f"{'< ' + str(target) if target else 'report'} | {verdict} | {body.get('meta')} |"
                )
                explains.append((name, await _explain(sql)))
            p95s = {}
            for sort in ("-createdAt", "-transactionsAmount"):
                for depth in (0, 10000, 100000, 500000, 999000):
                    if depth >= CUSTOMERS:
                        continue
                    url = await _cursor_at(client, sort, depth)
                    timings, _ = await _timed(client, url)
                    p95s[(sort, depth)] = _p95(timings)
                    verdict = "pass" if p95s[(sort, depth)] < 50 else "FAIL"
                    lines.append(
                        f"| cursor {sort} depth {depth} | {statistics.median(timings):.1f} | "
                        f"{p95s[(sort, depth)]:.1f} | < 50 | {verdict} | |"
                    )
            for sort in ("-createdAt", "-transactionsAmount"):
                if (sort, 999000) in p95s and (sort, 100000) in p95s:
                    ratio = p95s[(sort, 999000)] / p95s[(sort, 100000)]
                    lines.append(
                        f"| cursor {sort} p95 at 1M ÷ at 100k | | {ratio:.2f} | ≤ 1.5 | "
                        f"{'pass' if ratio <= 1.5 else 'FAIL'} | |"
                    )
            timings, body = await _timed(
                client, "/backoffice/customer-registrations?filter[interval]=day&filter[lastDays]=365"
            )
            p95 = _p95(timings)
            lines.append(
                f"| statistics day 365 | {statistics.median(timings):.1f} | {p95:.1f} | < 200 | "
                f"{'pass' if p95 < 200 else 'FAIL'} | total {body['meta']['total']} |"
            )
            explains.append(
                (
                    "statistics day 365",
                    await _explain(statistics_queries.COUNT_PER_WINDOW, "DE", *_days_of_last_year()),
                ),
            )
            lines += await _level_writes(client)
        lines.append("")
        for name, plan in explains:
            lines += [f"## EXPLAIN (ANALYZE): {name}", "", "```", plan, "```", ""]
    finally:
        server.stop()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"backoffice-{datetime.now(UTC):%Y%m%d-%H%M%S}.md"
    path.write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("") + 40]))
    log(f"written {path}")


if __name__ == "__main__":
    asyncio.run(_run())
