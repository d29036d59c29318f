"""``make bench``: the service under load with production settings, next to its ceilings.

1. Create (if missing), migrate and seed the ``bench`` PostgreSQL database: 10,000 customers,
   each with a live session and an access token (see ``bench/seed.py``).
2. Serve the application as in production: uvicorn, uvloop, httptools, one worker per core,
   default argon2 cost, log level warning.
3. Load it with wrk (a separate compiled process; Lua scripts in ``bench/lua``), each scenario for a
   fixed time after a short warm-up: (a) GET own profile, (b) login, (c) registration,
   (d) PATCH profile, (e) 90 % GET + 10 % login.
4. Measure the ceilings in the same run: (B) a bare Starlette endpoint doing one primary-key read
   with asyncpg under the same server settings, (C) raw argon2id hash and verify on every core.
5. Print one table with the ratios against the targets and write it to ``bench/results/``.

Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench),
BENCH_SECONDS (12), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (16), BENCH_CUSTOMERS (10000),
BENCH_PORT (8765; the ceiling app uses the next port), BENCH_PROFILE (comma-separated scenario
keys, e.g. ``a,e``: record every worker with py-spy during those scenarios into
``bench/results/profile-*.txt``; needs ``pip install py-spy``).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.settings import PREFIX, Settings
from bench import ceiling_argon2, seed

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua"
RESULTS = ROOT / "bench" / "results"
STATE = ROOT / "var" / "bench"

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
SECONDS = int(os.environ.get("BENCH_SECONDS", "12"))
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "10000"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
PROFILE = {key.strip() for key in os.environ.get("BENCH_PROFILE", "").split(",") if key.strip()}
WORKERS = len(os.sched_getaffinity(0))
# Each worker's pool; PostgreSQL's default max_connections (100) leaves room for the rest.
POOL_SIZE = 10
CEILING_PORT = PORT + 1

TARGET_READ_SHARE = 0.50
TARGET_ARGON_SHARE = 0.90
TARGET_MIXED_P99_FACTOR = 3.0
TARGET_WORKER_RSS_MB = 120.0


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def service_environment() -> dict[str, str]:
    """The inherited environment without any GLUE_* override: production defaults apply."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(PREFIX)}
    environment.update(
        {
            f"{PREFIX}DATABASE_URL": DATABASE_URL,
            f"{PREFIX}JWT_PRIVATE_KEY_PATH": str(STATE / "jwt-private.pem"),
            f"{PREFIX}DATABASE_POOL_SIZE": str(POOL_SIZE),
            # As uvicorn's --log-level warning --no-access-log below: no access line per request,
            # so the numbers compare with the ceilings' (which log none either).
            f"{PREFIX}LOG_LEVEL": "warning",
            f"{PREFIX}ARGON2_MAX_CONCURRENT": os.environ.get(
                "BENCH_ARGON2_MAX_CONCURRENT", str(max(1, len(os.sched_getaffinity(0)) // WORKERS))
            ),
        }
    )
    return environment


# --- the server under test -------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def _status_kib(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


@dataclass
class Server:
    """uvicorn with the production flags; ``app_spec`` names a factory."""

    app_spec: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            self.app_spec,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(WORKERS),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=service_environment(), start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app_spec} exited with {self.process.returncode}")
            if len(self.worker_pids()) == WORKERS and self._ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.app_spec} did not become ready")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pids = []
        for pid in _children(self.process.pid):
            try:
                command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command_line and b"resource_tracker" not in command_line:
                pids.append(pid)
        return sorted(pids)

    def worker_rss_mb(self) -> list[float]:
        return [_status_kib(pid, "VmRSS") / 1024 for pid in self.worker_pids()]

    def worker_peak_rss_mb(self) -> list[float]:
        return [_status_kib(pid, "VmHWM") / 1024 for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --- the load generator ----------------------------------------------------------------------


def wrk(script: str, url: str, seconds: int) -> dict[str, Any]:
    """Run one wrk scenario; one connection per wrk thread (see lua/common.lua)."""
    command = [
        "wrk",
        f"--threads={CONNECTIONS}",
        f"--connections={CONNECTIONS}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={LUA / script}",
        url,
        "--",
        str(STATE / "customers.txt"),
        str(CONNECTIONS),
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            report: dict[str, Any] = json.loads(line[len("BENCH_RESULT ") :])
            return report
    raise RuntimeError(f"wrk gave no result for {script}:\n{completed.stdout}\n{completed.stderr}")


def _cpu_ticks() -> dict[int, tuple[int, int, str]]:
    """Per process: (CPU ticks used, parent pid, command name)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(rest[11]) + int(rest[12]), int(rest[1]), name)
    return found


class OtherLoad:
    """CPU used meanwhile by processes that are not ours (PostgreSQL excluded: it serves us too).

    The machine may be shared; a busy neighbour lowers every number and makes ratios noisy.
    Processes that start and end within the window are missed, so this is a lower bound.
    """

    def __enter__(self) -> OtherLoad:
        self.before = _cpu_ticks()
        self.started = time.monotonic()
        self.percent = 0.0
        return self

    def __exit__(self, *exc_info: object) -> None:
        after = _cpu_ticks()
        elapsed = time.monotonic() - self.started
        ours = {os.getpid()}
        changed = True
        while changed:
            grown = {pid for pid, (_, parent, _) in after.items() if parent in ours} - ours
            ours |= grown
            changed = bool(grown)
        used = 0
        for pid, (ticks, _, name) in after.items():
            if pid in ours or name == "postgres":
                continue
            used += ticks - self.before.get(pid, (0, 0, ""))[0]
        capacity = elapsed * os.sysconf("SC_CLK_TCK") * len(os.sched_getaffinity(0))
        self.percent = 100 * used / capacity if capacity else 0.0


@dataclass
class Row:
    key: str
    label: str
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int | None
    rss_mb: float | None
    other_load: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _profile(server: Server, key: str, seconds: int) -> list[subprocess.Popen[bytes]]:
    if key not in PROFILE:
        return []
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    recorders = []
    for pid in server.worker_pids():
        output = RESULTS / f"profile-{key}-{pid}.txt"
        recorders.append(
            subprocess.Popen(
                [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--format", "raw"]
                + ["--output", str(output), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return recorders


def scenario(server: Server, key: str, label: str, script: str, kinds: list[str]) -> list[Row]:
    log(f"({key}) {label}: warm-up {WARMUP_SECONDS}s, then {SECONDS}s")
    if WARMUP_SECONDS:
        wrk(script, server.url, WARMUP_SECONDS)
    recorders = _profile(server, key, SECONDS)
    with OtherLoad() as other_load:
        report = wrk(script, server.url, SECONDS)
    for recorder in recorders:
        recorder.wait()
    rss = max(server.worker_rss_mb())
    if report.get("first_failure"):
        log(f"({key}) first failure: {report['first_failure']}")
    rows = []
    for kind in kinds:
        measured = report["kinds"].get(kind)
        if measured is None:
            raise RuntimeError(f"({key}) no {kind} requests completed: {report}")
        errors = int(measured.get("failed") or 0)
        if len(kinds) == 1:
            errors = int(report["status_errors"] + report["socket_errors"])
        suffix = f" {kind}" if len(kinds) > 1 else ""
        rows.append(
            Row(
                key=key + suffix,
                label=label + (f" - {kind} only" if suffix else ""),
                rate=measured["rate"],
                p50_ms=measured["p50_ms"],
                p99_ms=measured["p99_ms"],
                errors=errors,
                rss_mb=rss,
                other_load=other_load.percent,
                extra={"wrk": report},
            )
        )
    return rows


# --- the report ------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def render(
    settings: Settings, rows: list[Row], final_rss: list[float], peak_rss: list[float], started: float
) -> str:
    by_key = {row.key: row for row in rows}
    header = (
        f"{'':<8} {'scenario':<44} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'RSS MB':>7}"
        f" {'other CPU':>9}"
    )
    lines = [
        f"glue-customers benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, commit {_commit()}",
        f"{WORKERS} cores ({platform.processor() or platform.machine()}), Python {platform.python_version()},"
        f" {WORKERS} uvicorn workers (uvloop, httptools), pool {POOL_SIZE}/worker,"
        f" argon2 m={settings.argon2_memory_kib} KiB t={settings.argon2_time_cost}"
        f" p={settings.argon2_parallelism}, {settings.argon2_max_concurrent} at once/worker,",
        f"{CUSTOMERS} customers, wrk {CONNECTIONS} connections (one per thread),"
        f" {SECONDS}s per scenario after {WARMUP_SECONDS}s warm-up",
        "",
        header,
        "-" * len(header),
    ]
    for row in rows:
        errors = "-" if row.errors is None else str(row.errors)
        rss = "-" if row.rss_mb is None else f"{row.rss_mb:.0f}"
        lines.append(
            f"{row.key:<8} {row.label:<44} {row.rate:>9.1f} {row.p50_ms:>9.2f} {row.p99_ms:>9.2f}"
            f" {errors:>7} {rss:>7} {row.other_load:>8.0f}%"
        )
    lines += [
        "",
        "RSS MB: the largest worker's resident set after the scenario. C: operations/s on all cores.",
        "other CPU: share of the machine used meanwhile by processes outside this benchmark",
        "(PostgreSQL excluded); when it is not near 0 % the machine was shared and the numbers are low.",
        "Each ratio's two sides are measured back to back to keep such drift out of the ratios.",
        "",
    ]

    read_share = by_key["a"].rate / by_key["B"].rate
    login_share = by_key["b"].rate / by_key["C verify"].rate
    register_share = by_key["c"].rate / by_key["C hash"].rate
    mixed_factor = by_key["e get"].p99_ms / by_key["a"].p99_ms
    worst_rss = max(final_rss)
    lines += [
        "ratio                                   value    target   verdict",
        f"(a) / (B)           req/s            {read_share:>8.0%}   >= {TARGET_READ_SHARE:.0%}    "
        + _verdict(read_share >= TARGET_READ_SHARE),
        f"(b) / (C verify)    req/s            {login_share:>8.0%}   >= {TARGET_ARGON_SHARE:.0%}    "
        + _verdict(login_share >= TARGET_ARGON_SHARE),
        f"(c) / (C hash)      req/s            {register_share:>8.0%}   >= {TARGET_ARGON_SHARE:.0%}    "
        + _verdict(register_share >= TARGET_ARGON_SHARE),
        f"(e) GET p99 / (a) GET p99            {mixed_factor:>7.2f}x   <= {TARGET_MIXED_P99_FACTOR:.0f}x     "
        + _verdict(mixed_factor <= TARGET_MIXED_P99_FACTOR),
        f"worker RSS after the run (MB)        {worst_rss:>8.0f}   <= {TARGET_WORKER_RSS_MB:.0f}    "
        + _verdict(worst_rss <= TARGET_WORKER_RSS_MB),
        "",
        "worker RSS after the run: " + ", ".join(f"{value:.0f}" for value in final_rss) + " MB;"
        " peak during the run: " + ", ".join(f"{value:.0f}" for value in peak_rss) + " MB",
        f"total run time {time.monotonic() - started:.0f}s",
    ]
    return "\n".join(lines) + "\n"


def _commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    completed = subprocess.run(
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "unknown"


def argon2_ceiling(settings: Settings, operation: str) -> Row:
    log(f"(C) argon2id {operation} on {WORKERS} processes for {SECONDS}s")
    with OtherLoad() as other_load:
        measured = ceiling_argon2.measure(settings, operation, WORKERS, SECONDS)
    return Row(
        key=f"C {operation}",
        label=f"ceiling: raw argon2id {operation}, {WORKERS} processes",
        rate=measured.rate,
        p50_ms=measured.p50_ms,
        p99_ms=measured.p99_ms,
        errors=None,
        rss_mb=None,
        other_load=other_load.percent,
    )


def main() -> int:
    started = time.monotonic()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get update && apt-get install -y wrk", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    STATE.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_environment(service_environment())
    if asyncio.run(seed.ensure_database(DATABASE_URL)):
        log(f"created database {seed.database_name(DATABASE_URL)}")
    log("migrating and seeding")
    seed.reset_schema(settings)
    seed.seed(settings, CUSTOMERS, STATE / "customers.txt", f"http://127.0.0.1:{PORT}")
    log(f"seeded {CUSTOMERS} customers with sessions in {time.monotonic() - started:.0f}s")

    rows: list[Row] = []
    # Both servers run throughout (the idle one costs nothing) so that each scenario is measured
    # right next to its ceiling.
    service = Server("app.main:app", PORT)
    ceiling = Server("bench.ceiling_app:app", CEILING_PORT)
    try:
        service.start()
        ceiling.start()
        rows += scenario(service, "a", "GET own profile", "get_profile.lua", ["get"])
        label = "ceiling: bare Starlette + asyncpg PK read"
        rows += scenario(ceiling, "B", label, "ceiling_read.lua", ["get"])
        rows += scenario(service, "b", "login POST /access-tokens", "login.lua", ["login"])
        rows.append(argon2_ceiling(settings, "verify"))
        rows += scenario(service, "c", "registration POST /customers", "register.lua", ["register"])
        rows.append(argon2_ceiling(settings, "hash"))
        rows += scenario(service, "d", "PATCH own profile", "patch_profile.lua", ["patch"])
        rows += scenario(service, "e", "90 % GET + 10 % login", "mixed.lua", ["get", "login"])
        final_rss = service.worker_rss_mb()
        peak_rss = service.worker_peak_rss_mb()
    finally:
        service.stop()
        ceiling.stop()

    table = render(settings, rows, final_rss, peak_rss, started)
    print()
    print(table, end="")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.txt").write_text(table)
    (RESULTS / "latest.txt").write_text(table)
    (RESULTS / f"bench-{stamp}.json").write_text(
        json.dumps([row.__dict__ for row in rows], indent=2, default=str)
    )
    log(f"written to {RESULTS / f'bench-{stamp}.txt'} and {RESULTS / 'latest.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
