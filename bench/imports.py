"""backoffice-api §9's import row: 100,000 CSV rows (2 % invalid, 1 % duplicate e-mails, 10 %
invited) through ``POST /backoffice/customer-imports`` and the jobs worker, on PostgreSQL.

``python -m bench.imports`` (PostgreSQL at BENCH_DATABASE_URL, default
``postgresql://postgres@127.0.0.1:5432/bench_imports``, whose schema is dropped and migrated again
on every run) serves the app with one uvicorn worker (its background loop runs the job), then:

1. uploads the 100,000-row file: the upload's time (target < 2 s) and, once the job completes,
   rows/s from ``startedAt`` to ``finishedAt`` (target >= 5,000) and the server's peak RSS;
2. uploads a second file of ``KILLED_ROWS`` rows, kills the server (SIGKILL) once a few batches
   are committed, starts a new one, which takes the job over when the dead one's lease lapses:
   the totals must be exact and no customer duplicated.

The machine may be shared: the import's window also reports the load average and the CPU the
rest of the machine used meanwhile (all busy CPU less the server's and its PostgreSQL backends').
Invitation mails go to files in a scratch directory. Results go to ``bench/results/imports.txt``.
Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx

from app.migrate import upgrade
from app.models import AuditActor
from app.services import build_services
from app.services.imports import LEASE
from app.services.operators import ADMIN_PERMISSIONS, Writer
from app.settings import Settings
from bench.avatar import reset
from tests.helpers import JSON_API, document
from tests.servers import FAST_ARGON2, free_port

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_imports")
ROWS = 100_000
KILLED_ROWS = 20_000
PASSWORD = "Bench-Import-Password-1"
EMAIL = "bench-importer@example.com"
RESULTS = Path(__file__).parent / "results" / "imports.txt"
PROJECT = Path(__file__).resolve().parent.parent
HEADER = "firstName,lastName,email,agreement1,phone,loyaltyCardNumber,labels,invite"


def csv_file(rows: int, prefix: str, seed: int) -> tuple[bytes, int, int]:
    """``rows`` records: 2 % with an invalid phone, 1 % repeating an earlier e-mail, 10 % invited;
    (file, rows expected to succeed, rows expected to fail)."""
    chance = random.Random(seed)
    lines = [HEADER]
    stored: set[str] = set()
    failing = 0
    for index in range(rows):
        draw = chance.random()
        email = f"{prefix}{index}@example.com"
        phone = f"+4915{seed}{index:08d}"  # each file its own numbers (0151, 0152, …)
        if draw < 0.02:
            phone = "12"
        elif draw < 0.03 and index > 0:
            email = f"{prefix}{chance.randrange(index)}@example.com"
        # A row fails for its phone, or for an e-mail an earlier row stored (not one that failed).
        if phone == "12" or email in stored:
            failing += 1
        else:
            stored.add(email)
        invite = "true" if chance.random() < 0.10 else "false"
        labels = "tier:gold;vip:" if index % 20 == 0 else ""
        lines.append(
            f"First{index},Last{index},{email},true,{phone},{prefix.upper()}-{index},{labels},{invite}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8"), rows - failing, failing


def start_server(keys: str, port: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "GLUE_DATABASE_URL": DATABASE_URL,
        "GLUE_JWT_PRIVATE_KEY_PATH": str(Path(keys) / "jwt.pem"),
        "GLUE_LOG_LEVEL": "warning",
        "GLUE_MAIL_DIRECTORY": str(Path(keys) / "mail"),
        **{f"GLUE_{name.upper()}": str(value) for name, value in FAST_ARGON2.items()},
    }
    command = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(command, cwd=PROJECT, env=environment)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("uvicorn did not start")


def busy_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (all cores, /proc/stat)."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int) -> float:
    """CPU seconds (user and system) a process has used, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backend_pids() -> list[int]:
    """The PostgreSQL backends connected to the benchmark's database (the server's pool)."""
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return [int(row[0]) for row in rows]


class CpuWindow:
    """The CPU the machine, the server and its database backends used between start and stop."""

    def __init__(self, server_pid: int) -> None:
        self._server = server_pid
        self._backends: dict[int, float] = {}
        self._backend_now: dict[int, float] = {}
        self._load = os.getloadavg()[0]
        self._started = time.monotonic()
        self._busy = busy_seconds()
        self._own = process_seconds(server_pid)

    def sample_backends(self) -> None:
        """Note the backends' CPU so far (new ones from when they are first seen)."""
        for pid in asyncio.run(backend_pids()):
            self._backends.setdefault(pid, process_seconds(pid))
        self._backend_now = {pid: process_seconds(pid) for pid in self._backends}

    def report(self) -> str:
        self.sample_backends()
        elapsed = time.monotonic() - self._started
        busy = busy_seconds() - self._busy
        server = process_seconds(self._server) - self._own
        database = sum(self._backend_now[pid] - start for pid, start in self._backends.items())
        other = max(0.0, busy - server - database)
        return (
            f"  CPU in the window ({elapsed:.0f} s, {os.cpu_count()} cores): "
            f"server {server / elapsed:.2f} cores, its PostgreSQL backends {database / elapsed:.2f}, "
            f"everything else {other / elapsed:.2f}; "
            f"load average {self._load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
        )


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def seed_operator(keys: str) -> None:
    services = build_services(
        Settings(database_url=DATABASE_URL, jwt_private_key_path=str(Path(keys) / "jwt.pem"))
    )
    await services.db.connect()
    try:
        await services.operators.create(
            {
                "email": EMAIL,
                "role": "admin",
                "first_name": "Bench",
                "last_name": "Importer",
                "permissions": list(ADMIN_PERMISSIONS),
                "stores": None,
                "password": PASSWORD,
                "confirm_password": PASSWORD,
            },
            Writer(actor=AuditActor("cli", "admin", "CLI create"), operator_id=None, stores=None),
        )
    finally:
        await services.db.disconnect()


def login(client: httpx.Client) -> dict[str, str]:
    response = client.post(
        "/backoffice/access-tokens",
        json=document("access-tokens", {"username": EMAIL, "password": PASSWORD}),
        headers={"Content-Type": JSON_API},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['data']['attributes']['accessToken']}"}


def upload(client: httpx.Client, headers: dict[str, str], body: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    response = client.post(
        "/backoffice/customer-imports", content=body, headers={**headers, "Content-Type": "text/csv"}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.text
    return response.json()["data"]["id"], elapsed


def job(client: httpx.Client, headers: dict[str, str], import_id: str) -> dict[str, object]:
    response = client.get(f"/backoffice/customer-imports/{import_id}", headers=headers)
    response.raise_for_status()
    attributes: dict[str, object] = response.json()["data"]["attributes"]
    return attributes


def wait_until(
    client: httpx.Client,
    headers: dict[str, str],
    import_id: str,
    processed: int,
    pid: int,
    seconds: float,
    every_second: Callable[[], None] | None = None,
) -> tuple[dict[str, object], int]:
    """Poll the job until ``processed`` rows are done (bounded); the job and the server's peak RSS."""
    deadline = time.monotonic() + seconds
    peak = 0
    polls = 0
    while True:
        attributes = job(client, headers, import_id)
        peak = max(peak, peak_rss_kib(pid))
        polls += 1
        if every_second is not None and polls % 5 == 0:
            every_second()
        if int(attributes["processed"]) >= processed:  # type: ignore[call-overload]
            return attributes, peak
        if time.monotonic() > deadline:
            raise RuntimeError(f"import {import_id} stuck at {attributes}")
        time.sleep(0.2)


async def customers_and_duplicates(prefix: str) -> tuple[int, int]:
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        count = await connection.fetchval("SELECT COUNT(*) FROM customers WHERE email LIKE $1", f"{prefix}%")
        duplicated = await connection.fetchval(
            "SELECT COUNT(*) FROM (SELECT email_key FROM customers WHERE email LIKE $1"
            " GROUP BY store, email_key HAVING COUNT(*) > 1) AS d",
            f"{prefix}%",
        )
    finally:
        await connection.close()
    return int(count), int(duplicated)


def seconds_between(attributes: dict[str, object]) -> float:
    from datetime import datetime

    started = datetime.fromisoformat(str(attributes["startedAt"]))
    finished = datetime.fromisoformat(str(attributes["finishedAt"]))
    return (finished - started).total_seconds()


def main() -> None:
    asyncio.run(reset(DATABASE_URL))
    upgrade(Settings(database_url=DATABASE_URL))
    body, expected_ok, expected_failed = csv_file(ROWS, "full", 1)
    killed_body, killed_ok, killed_failed = csv_file(KILLED_ROWS, "killed", 2)
    lines = []
    with tempfile.TemporaryDirectory() as keys:
        asyncio.run(seed_operator(keys))
        port = free_port()
        server = start_server(keys, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                headers = login(client)
                window = CpuWindow(server.pid)
                window.sample_backends()
                import_id, upload_seconds = upload(client, headers, body)
                done, peak = wait_until(
                    client, headers, import_id, ROWS, server.pid, 1800, window.sample_backends
                )
                cpu = window.report()
                assert done["status"] == "completed", done
                rate = ROWS / seconds_between(done)
                count, duplicated = asyncio.run(customers_and_duplicates("full"))
                lines.append(
                    f"import {ROWS} rows ({len(body)} bytes): upload {upload_seconds:.2f} s "
                    f"(target < 2 s: {'pass' if upload_seconds < 2 else 'FAIL'})"
                )
                lines.append(
                    f"  startedAt -> finishedAt {seconds_between(done):.1f} s = {rate:,.0f} rows/s "
                    f"(target >= 5,000: {'pass' if rate >= 5000 else 'FAIL'}); "
                    f"succeeded {done['succeeded']} failed {done['failed']} "
                    f"(expected {expected_ok} / {expected_failed}); "
                    f"customers {count}, duplicated {duplicated}"
                )
                lines.append(
                    f"  server peak RSS {peak / 1024:.0f} MiB (VmHWM, the worker runs in the server)"
                )
                lines.append(cpu)

                killed_id, _ = upload(client, headers, killed_body)
                before, _ = wait_until(client, headers, killed_id, 2000, server.pid, 600)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
        killed_at = int(before["processed"])  # type: ignore[call-overload]
        restarted_at = time.monotonic()
        server = start_server(keys, port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                headers = login(client)
                after, _ = wait_until(
                    client, headers, killed_id, KILLED_ROWS, server.pid, LEASE.total_seconds() + 900
                )
        finally:
            server.terminate()
            server.wait(timeout=15)
        count, duplicated = asyncio.run(customers_and_duplicates("killed"))
        exact = (
            after["status"] == "completed"
            and after["processed"] == KILLED_ROWS
            and int(after["succeeded"]) + int(after["failed"]) == KILLED_ROWS  # type: ignore[call-overload]
            and count == after["succeeded"]
            and duplicated == 0
        )
        lines.append(
            f"kill -9 after >= {killed_at} of {KILLED_ROWS} rows, restart: completed "
            f"{time.monotonic() - restarted_at:.0f} s later (lease {LEASE.total_seconds():.0f} s); "
            f"succeeded {after['succeeded']} failed {after['failed']} "
            f"(expected {killed_ok} / {killed_failed}); "
            f"customers {count}, duplicated {duplicated}: {'pass' if exact else 'FAIL'}"
        )
        connection_version = asyncio.run(_server_version())
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    header = (
        f"{now}  {platform.machine()}, {os.cpu_count()} cores, PostgreSQL {connection_version}, "
        f"1 uvicorn worker, batch 500, load average {load}"
    )
    report = "\n".join([header, *lines]) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


async def _server_version() -> str:
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
