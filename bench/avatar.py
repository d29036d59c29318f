"""backoffice-api §9's avatar row: PUT a 2 MiB 4000 x 3000 JPEG while other requests are served.

``python -m bench.avatar`` (PostgreSQL at BENCH_DATABASE_URL, default
``postgresql://postgres@127.0.0.1:5432/bench_avatar``, whose schema is dropped and migrated again on
every run) serves the app with one uvicorn worker, then measures on loopback only:

1. idle: GET own profile from ``GET_CONNECTIONS`` concurrent clients for ``IDLE_SECONDS``;
2. loaded: the same GETs while one client uploads the JPEG ``UPLOADS`` times in a row.

Targets: upload p95 < 500 ms; GET p99 while uploading <= 2 x GET p99 idle (the re-encoding runs
in worker threads, so the event loop keeps answering). Results go to ``bench/results/avatar.txt``.
Every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import io
import os
import platform
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from PIL import Image

from app.migrate import upgrade
from app.settings import Settings
from tests.helpers import JSON_API, document, registration
from tests.servers import uvicorn_server

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_avatar")
GET_CONNECTIONS = 4
IDLE_SECONDS = 5.0
UPLOADS = 20
MAX_BYTES = 2 * 1024 * 1024
RESULTS = Path(__file__).parent / "results" / "avatar.txt"


def photo(width: int = 4000, height: int = 3000, target: int = MAX_BYTES) -> bytes:
    """A photo-like JPEG (noise over a gradient) of the size asked for, just under ``target`` bytes."""
    noise = Image.effect_noise((width // 6, height // 6), 50).convert("RGB").resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(noise, gradient, 0.4)
    best = b""
    low, high = 10, 98
    while low <= high:
        quality = (low + high) // 2
        output = io.BytesIO()
        image.save(output, "JPEG", quality=quality)
        if output.tell() <= target:
            best, low = output.getvalue(), quality + 1
        else:
            high = quality - 1
    return best


async def reset(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    print(f"PostgreSQL {version}")


async def customer(client: httpx.AsyncClient) -> tuple[str, str]:
    attributes = registration()
    created = await client.post(
        "/customers", json=document("customers", attributes), headers={"Content-Type": JSON_API}
    )
    created.raise_for_status()
    login = await client.post(
        "/access-tokens",
        json=document("access-tokens", {"username": attributes["email"], "password": attributes["password"]}),
        headers={"Content-Type": JSON_API},
    )
    login.raise_for_status()
    return created.json()["data"]["id"], login.json()["data"]["attributes"]["accessToken"]


async def get_loop(
    client: httpx.AsyncClient, path: str, token: str, stop: asyncio.Event, out: list[float]
) -> None:
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        started = time.perf_counter()
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        out.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def measure(base: str, jpeg: bytes) -> list[str]:
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=16)
    ) as client:
        reader_reference, reader_token = await customer(client)
        uploader_reference, uploader_token = await customer(client)
        profile = f"/customers/{reader_reference}"

        idle: list[float] = []
        stop = asyncio.Event()
        loops = [
            asyncio.create_task(get_loop(client, profile, reader_token, stop, idle))
            for _ in range(GET_CONNECTIONS)
        ]
        await asyncio.sleep(IDLE_SECONDS)
        stop.set()
        await asyncio.gather(*loops)

        loaded: list[float] = []
        uploads: list[float] = []
        stop = asyncio.Event()
        loops = [
            asyncio.create_task(get_loop(client, profile, reader_token, stop, loaded))
            for _ in range(GET_CONNECTIONS)
        ]
        for _ in range(UPLOADS):
            started = time.perf_counter()
            response = await client.put(
                f"/customers/{uploader_reference}/avatar",
                content=jpeg,
                headers={"Authorization": f"Bearer {uploader_token}", "Content-Type": "image/jpeg"},
            )
            uploads.append(time.perf_counter() - started)
            assert response.status_code == 204, response.text
        stop.set()
        await asyncio.gather(*loops)

    put_p95 = percentile(uploads, 0.95)
    idle_p99, loaded_p99 = percentile(idle, 0.99), percentile(loaded, 0.99)
    put_verdict = "pass" if put_p95 < 500 else "FAIL"
    get_verdict = "pass" if loaded_p99 <= 2 * idle_p99 else "FAIL"
    return [
        f"upload: {len(jpeg)} bytes, 4000 x 3000 JPEG, {UPLOADS} in a row; "
        f"GETs: own profile, {GET_CONNECTIONS} clients",
        f"PUT avatar   p50 {percentile(uploads, 0.5):7.1f} ms  p95 {put_p95:7.1f} ms  "
        f"target p95 < 500 ms: {put_verdict}",
        f"GET idle     p50 {percentile(idle, 0.5):7.1f} ms  p99 {idle_p99:7.1f} ms  ({len(idle)} requests)",
        f"GET loaded   p50 {percentile(loaded, 0.5):7.1f} ms  p99 {loaded_p99:7.1f} ms  "
        f"({len(loaded)} requests)  target p99 <= 2 x idle ({2 * idle_p99:.1f} ms): {get_verdict}",
    ]


def main() -> None:
    asyncio.run(reset(DATABASE_URL))
    upgrade(Settings(database_url=DATABASE_URL))
    jpeg = photo()
    with (
        tempfile.TemporaryDirectory() as keys,
        uvicorn_server(
            DATABASE_URL, str(Path(keys) / "jwt.pem"), settings={"GLUE_MAIL_WORKER_ENABLED": "false"}
        ) as base,
    ):
        lines = asyncio.run(measure(base, jpeg))
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    header = f"{now}  {platform.machine()}, {os.cpu_count()} cores, 1 uvicorn worker, load average {load}"
    report = "\n".join([header, *lines]) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
