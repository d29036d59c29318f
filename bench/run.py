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
5. Measure the peer in the same run, each scenario right after the service's: fastapi-users 15
   (``bench/peer/``) with the same argon2 parameters and uvicorn settings, in its own virtualenv
   ``bench/.peer-venv`` (created from ``bench/peer/requirements.txt`` when missing or stale) on its
   own database (the bench database's name + ``_peer``).
6. Print one table with the ratios against the targets and write it to ``bench/results/``.

Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench),
BENCH_PEER_DATABASE_URL (default: BENCH_DATABASE_URL's database name + ``_peer``), BENCH_PEER=0 to skip
the peer,
BENCH_SECONDS (12), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (16), BENCH_CUSTOMERS (10000),
BENCH_PORT (8765; the ceiling app and the peer use the next two ports), BENCH_PROFILE
(comma-separated scenario keys, e.g. ``a,e``: record every worker with py-spy during those scenarios into
``bench/results/profile-*.txt``; needs ``pip install py-spy``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import threading
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
PEER = os.environ.get("BENCH_PEER", "1") != "0"
PEER_DATABASE_URL = os.environ.get("BENCH_PEER_DATABASE_URL", DATABASE_URL.split("?", 1)[0] + "_peer")
PEER_VENV = ROOT / "bench" / ".peer-venv"
PEER_REQUIREMENTS = ROOT / "bench" / "peer" / "requirements.txt"
PROFILE = {key.strip() for key in os.environ.get("BENCH_PROFILE", "").split(",") if key.strip()}
WORKERS = len(os.sched_getaffinity(0))
# Each worker's pool; PostgreSQL's default max_connections (100) leaves room for the rest.
POOL_SIZE = 10
CEILING_PORT = PORT + 1
PEER_PORT = PORT + 2

# The targets of issue 10, as ratios measured in one run.
TARGET_READ_SHARE = 0.75  # (a) / (B)
TARGET_LOGIN_SHARE = 0.85  # (b) / (C verify)
TARGET_REGISTER_SHARE = 0.90  # (c) / (C hash)
TARGET_LOGIN_VS_PEER = 1.10  # (b) / peer (b)
TARGET_LOGIN_P99_VS_PEER = 1.0  # (b) p99 / peer (b) p99
TARGET_LOGIN_TAIL = 1.5  # (b) p99 / (b) p50: the argon2 queue is fair
TARGET_MIXED_P99_FACTOR = 2.0  # (e) GET p99 / (a1) idle single-connection GET p99
TARGET_WORKER_RSS_MB = 100.0


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
    if "BENCH_ARGON2_NICE" in os.environ:  # to measure what the lower priority buys (0 = none)
        environment[f"{PREFIX}ARGON2_NICE"] = os.environ["BENCH_ARGON2_NICE"]
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
    python: str = sys.executable
    environment: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            self.python,
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
        environment = self.environment if self.environment is not None else service_environment()
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
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

    def connections_per_worker(self) -> list[int]:
        """Established client connections each worker holds (from /proc: sockets on our port)."""
        established = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == self.port and fields[3] == "01":  # 01: ESTABLISHED
                    established.add(fields[9])  # the socket's inode
        counts = []
        for pid in self.worker_pids():
            held = 0
            try:
                for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                    target = os.readlink(descriptor)
                    if target.startswith("socket:[") and target[8:-1] in established:
                        held += 1
            except OSError:
                pass
            counts.append(held)
        return counts

    def worker_cpu_ticks(self) -> int:
        ticks = _cpu_ticks()
        return sum(ticks[pid][0] for pid in self.worker_pids() if pid in ticks)

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


def wrk(
    script: str, url: str, seconds: int, flavour: str = "service", connections: int = CONNECTIONS
) -> dict[str, Any]:
    """Run one wrk scenario; one connection per wrk thread (see lua/common.lua)."""
    customers = STATE / ("peer-customers.txt" if flavour == "peer" else "customers.txt")
    command = [
        "wrk",
        f"--threads={connections}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={LUA / script}",
        url,
        "--",
        str(customers),
        str(connections),
        flavour,
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
    cpu_ms: float | None = None  # server CPU (all workers) per request
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


def scenario(
    server: Server,
    key: str,
    label: str,
    script: str,
    kinds: list[str],
    flavour: str = "service",
    connections: int = CONNECTIONS,
) -> list[Row]:
    log(f"({key}) {label}: warm-up {WARMUP_SECONDS}s, then {SECONDS}s")
    if WARMUP_SECONDS:
        wrk(script, server.url, WARMUP_SECONDS, flavour, connections)
    recorders = _profile(server, key, SECONDS)
    ticks_before = server.worker_cpu_ticks()
    split: list[int] = []
    # Halfway through, how the kernel spread wrk's connections over the workers: each worker
    # has its own argon2 queue, so an uneven split shows in the login latencies.
    sampler = threading.Timer(SECONDS / 2, lambda: split.extend(server.connections_per_worker()))
    sampler.start()
    with OtherLoad() as other_load:
        report = wrk(script, server.url, SECONDS, flavour, connections)
    sampler.join()
    server_ms = (server.worker_cpu_ticks() - ticks_before) * 1000 / os.sysconf("SC_CLK_TCK")
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
                cpu_ms=server_ms / report["requests"] if report["requests"] else None,
                extra={"wrk": report, "connections_per_worker": split},
            )
        )
    return rows


# --- the report ------------------------------------------------------------------------------


def peer_key(key: str) -> str:
    """The peer's row for one of ours: "b" -> "b peer", "e get" -> "e peer get"."""
    scenario_key, _, kind = key.partition(" ")
    return f"{scenario_key} peer" + (f" {kind}" if kind else "")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def _ratio_line(name: str, value: float | None, target: str, met: bool | None, percent: bool = False) -> str:
    if value is None:
        return f"{name:<44} {'-':>8}   {target:<9} (no peer run)"
    shown = f"{value:.0%}" if percent else f"{value:.2f}x"
    verdict = "" if met is None else _verdict(met)
    return f"{name:<44} {shown:>8}   {target:<9} {verdict}".rstrip()


def render(
    settings: Settings, rows: list[Row], final_rss: list[float], peak_rss: list[float], started: float
) -> str:
    by_key = {row.key: row for row in rows}
    header = (
        f"{'':<10} {'scenario':<44} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'RSS MB':>7}"
        f" {'CPU ms':>7} {'other CPU':>9}"
    )
    lines = [
        f"glue-customers benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, commit {_commit()}",
        f"{WORKERS} cores ({platform.processor() or platform.machine()}), Python {platform.python_version()},"
        f" {WORKERS} uvicorn workers (uvloop, httptools), pool {POOL_SIZE}/worker,"
        f" argon2 m={settings.argon2_memory_kib} KiB t={settings.argon2_time_cost}"
        f" p={settings.argon2_parallelism}, {settings.argon2_max_concurrent} thread(s)/worker"
        f" at nice {settings.argon2_nice}, JWT {settings.jwt_algorithm},",
        f"{CUSTOMERS} customers, wrk {CONNECTIONS} connections (one per thread),"
        f" {SECONDS}s per scenario after {WARMUP_SECONDS}s warm-up",
        "",
        header,
        "-" * len(header),
    ]
    for row in rows:
        errors = "-" if row.errors is None else str(row.errors)
        rss = "-" if row.rss_mb is None else f"{row.rss_mb:.0f}"
        cpu = "-" if row.cpu_ms is None else f"{row.cpu_ms:.1f}"
        lines.append(
            f"{row.key:<10} {row.label:<44} {row.rate:>9.1f} {row.p50_ms:>9.2f} {row.p99_ms:>9.2f}"
            f" {errors:>7} {rss:>7} {cpu:>7} {row.other_load:>8.0f}%"
        )
    lines += [
        "",
        "RSS MB: the largest worker's resident set after the scenario. C: operations/s on all cores.",
        "CPU ms: CPU time of all the server's workers per request (PostgreSQL's share not included).",
        "other CPU: share of the machine used meanwhile by processes outside this benchmark",
        "(PostgreSQL excluded); when it is not near 0 % the machine was shared and the numbers are low.",
        "Each ratio's two sides are measured back to back to keep such drift out of the ratios.",
        "",
    ]

    def rate(key: str) -> float | None:
        row = by_key.get(key)
        return row.rate if row else None

    def versus(key: str, attribute: str = "rate") -> float | None:
        ours, peer = by_key.get(key), by_key.get(peer_key(key))
        if ours is None or peer is None:
            return None
        return float(getattr(ours, attribute)) / float(getattr(peer, attribute))

    mixed_ours = (rate("e get") or 0) + (rate("e login") or 0)
    mixed_peer = (rate("e peer get") or 0) + (rate("e peer login") or 0)
    lines += [f"{'this service / peer (fastapi-users 15)':<44} {'value':>8}", "-" * 44]
    for label, value in (
        ("(a) GET own profile req/s", versus("a")),
        ("(b) login req/s", versus("b")),
        ("(c) registration req/s", versus("c")),
        ("(d) PATCH own profile req/s", versus("d")),
        ("(e) mixed req/s (GET + login)", mixed_ours / mixed_peer if mixed_peer else None),
        ("(e) mixed GET p99", versus("e get", "p99_ms")),
        ("(b) server CPU per login", versus("b", "cpu_ms")),
    ):
        lines.append(_ratio_line(label, value, "", None))

    read_share = by_key["a"].rate / by_key["B"].rate
    login_share = by_key["b"].rate / by_key["C verify"].rate
    register_share = by_key["c"].rate / by_key["C hash"].rate
    login_tail = by_key["b"].p99_ms / by_key["b"].p50_ms
    mixed_factor = by_key["e get"].p99_ms / by_key["a1"].p99_ms
    login_vs_peer = versus("b")
    login_p99_vs_peer = versus("b", "p99_ms")
    worst_rss = max(final_rss)
    rss_target = f"<= {TARGET_WORKER_RSS_MB:.0f}"
    lines += [
        "",
        f"{'target (issue 10)':<44} {'value':>8}   {'target':<9} verdict",
        "-" * 72,
        _ratio_line(
            "(b) login / peer login, req/s",
            login_vs_peer,
            f">= {TARGET_LOGIN_VS_PEER:.2f}x",
            None if login_vs_peer is None else login_vs_peer >= TARGET_LOGIN_VS_PEER,
        ),
        _ratio_line(
            "(b) / (C verify) req/s",
            login_share,
            f">= {TARGET_LOGIN_SHARE:.0%}",
            login_share >= TARGET_LOGIN_SHARE,
            percent=True,
        ),
        _ratio_line(
            "(b) login p99 / peer login p99",
            login_p99_vs_peer,
            f"<= {TARGET_LOGIN_P99_VS_PEER:.2f}x",
            None if login_p99_vs_peer is None else login_p99_vs_peer <= TARGET_LOGIN_P99_VS_PEER,
        ),
        _ratio_line(
            "(b) login p99 / login p50",
            login_tail,
            f"<= {TARGET_LOGIN_TAIL:.2f}x",
            login_tail <= TARGET_LOGIN_TAIL,
        ),
        _ratio_line(
            "(c) / (C hash) req/s",
            register_share,
            f">= {TARGET_REGISTER_SHARE:.0%}",
            register_share >= TARGET_REGISTER_SHARE,
            percent=True,
        ),
        _ratio_line(
            "(e) GET p99 / (a1) idle GET p99",
            mixed_factor,
            f"<= {TARGET_MIXED_P99_FACTOR:.2f}x",
            mixed_factor <= TARGET_MIXED_P99_FACTOR,
        ),
        _ratio_line(
            "(a) / (B) req/s",
            read_share,
            f">= {TARGET_READ_SHARE:.0%}",
            read_share >= TARGET_READ_SHARE,
            percent=True,
        ),
        f"{'worker RSS after the run (MB)':<44} {worst_rss:>8.0f}   {rss_target:<9} "
        + _verdict(worst_rss <= TARGET_WORKER_RSS_MB),
    ]
    if "e peer get" in by_key and "a1 peer" in by_key:
        peer_factor = by_key["e peer get"].p99_ms / by_key["a1 peer"].p99_ms
        lines.append(
            _ratio_line("peer: (e) GET p99 / (a1) idle GET p99", peer_factor, "(for comparison)", None)
        )
    for key in ("b", "b peer"):
        if key in by_key and by_key[key].extra.get("connections_per_worker"):
            split = " / ".join(str(count) for count in by_key[key].extra["connections_per_worker"])
            lines.append(f"({key}) connections per worker halfway through: {split}")
    lines += [
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


def ensure_peer_venv() -> str:
    """bench/.peer-venv with bench/peer/requirements.txt installed; rebuilt when they change."""
    digest = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = PEER_VENV / ".requirements-sha256"
    python = str(PEER_VENV / "bin" / "python")
    if stamp.exists() and stamp.read_text() == digest:
        return python
    log(f"creating the peer's virtualenv {PEER_VENV.relative_to(ROOT)} (fastapi-users 15)")
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "-r", str(PEER_REQUIREMENTS)], check=True)
    stamp.write_text(digest)
    return python


def peer_server(python: str) -> Server:
    """The peer under the same uvicorn settings, seeded with as many users as the service."""
    if asyncio.run(seed.ensure_database(PEER_DATABASE_URL)):
        log(f"created database {seed.database_name(PEER_DATABASE_URL)}")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(PREFIX)}
    environment.update(
        {
            "PEER_DATABASE_URL": PEER_DATABASE_URL.replace("postgresql://", "postgresql+asyncpg://", 1),
            "PEER_JWT_SECRET": secrets.token_urlsafe(32),
            "PEER_POOL_SIZE": str(POOL_SIZE),
        }
    )
    log("seeding the peer")
    subprocess.run(
        [python, "-m", "bench.peer.seed", environment["PEER_DATABASE_URL"], str(CUSTOMERS)]
        + [str(STATE / "peer-customers.txt")],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    return Server("bench.peer.app:app", PEER_PORT, python=python, environment=environment)


def main() -> int:
    started = time.monotonic()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get update && apt-get install -y wrk", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    STATE.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_environment(service_environment())
    peer_python = ensure_peer_venv() if PEER else None
    if asyncio.run(seed.ensure_database(DATABASE_URL)):
        log(f"created database {seed.database_name(DATABASE_URL)}")
    log("migrating and seeding")
    seed.reset_schema(settings)
    seed.seed(settings, CUSTOMERS, STATE / "customers.txt", f"http://127.0.0.1:{PORT}")
    log(f"seeded {CUSTOMERS} customers with sessions in {time.monotonic() - started:.0f}s")

    rows: list[Row] = []
    # Every server runs throughout (an idle one costs nothing) so that each scenario is measured
    # right next to its ceiling and to the peer's run of it.
    service = Server("app.main:app", PORT)
    ceiling = Server("bench.ceiling_app:app", CEILING_PORT)
    peer = peer_server(peer_python) if peer_python else None

    def both(key: str, label: str, script: str, kinds: list[str], connections: int = CONNECTIONS) -> None:
        rows.extend(scenario(service, key, label, script, kinds, connections=connections))
        if peer is not None:
            rows.extend(scenario(peer, f"{key} peer", f"peer: {label}", script, kinds, "peer", connections))

    try:
        service.start()
        ceiling.start()
        if peer is not None:
            peer.start()
        both("a1", "GET own profile, one idle connection", "get_profile.lua", ["get"], connections=1)
        both("a", "GET own profile", "get_profile.lua", ["get"])
        label = "ceiling: bare Starlette + asyncpg PK read"
        rows += scenario(ceiling, "B", label, "ceiling_read.lua", ["get"])
        both("b", "login POST /access-tokens", "login.lua", ["login"])
        rows.append(argon2_ceiling(settings, "verify"))
        both("c", "registration POST /customers", "register.lua", ["register"])
        rows.append(argon2_ceiling(settings, "hash"))
        both("d", "PATCH own profile", "patch_profile.lua", ["patch"])
        both("e", "90 % GET + 10 % login", "mixed.lua", ["get", "login"])
        # "After the run" is once the workers are idle: an argon2 thread idle for a second hands the
        # memory its computations used back to the OS (app/passwords.py).
        time.sleep(2)
        final_rss = service.worker_rss_mb()
        peak_rss = service.worker_peak_rss_mb()
    finally:
        service.stop()
        ceiling.stop()
        if peer is not None:
            peer.stop()

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
