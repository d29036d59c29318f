"""Real uvicorn processes for tests that need a socket, several workers or a database they can cut."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

__all__ = ["PROJECT", "FAST_ARGON2", "free_port", "uvicorn_server"]

PROJECT = Path(__file__).resolve().parent.parent

# Cheap argon2 parameters keep the suite fast; production defaults are exercised by the benchmark.
# The argon2 threads keep the normal priority: on a machine shared with other busy programs a
# niced thread waits behind all of them (tests/test_argon2_queue.py checks the nice value itself).
FAST_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1, "argon2_nice": 0}


# Ports are handed out from a block of this test process's own, below the kernel's ephemeral range:
# two pytest-xdist processes asking the kernel for "any free port" at once may be given the same one,
# and a server that loses the race would leave its test talking to the other process's server.
_PORT_BLOCK = 1000
_FIRST_PORT = 20000
_handed_out: set[int] = set()


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker[2:].isdigit():  # a single test process: any port the kernel finds free
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    index = int(worker[2:])
    first = _FIRST_PORT + (index % 12) * _PORT_BLOCK
    for port in random.sample(range(first, first + _PORT_BLOCK), _PORT_BLOCK):
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {first}-{first + _PORT_BLOCK - 1}")


@contextmanager
def uvicorn_server(
    database_url: str,
    key_path: str,
    *,
    workers: int = 1,
    settings: dict[str, str] | None = None,
    wait_for: str = "/health/ready",
    startup_timeout: float = 30.0,
    log: IO[bytes] | int | None = None,
) -> Iterator[str]:
    """``python -m app`` (uvicorn) on a free port; yields its base URL once ``wait_for`` is 200.

    Only warnings are logged unless ``settings`` say otherwise; ``log`` receives the server's stderr.
    """
    port = free_port()
    environment = {
        **os.environ,
        "GLUE_DATABASE_URL": database_url,
        "GLUE_JWT_PRIVATE_KEY_PATH": key_path,
        "GLUE_LOG_LEVEL": "warning",
        **{f"GLUE_{name.upper()}": str(value) for name, value in FAST_ARGON2.items()},
        **(settings or {}),
    }
    command = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=PROJECT, env=environment, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if httpx.get(f"{base}{wait_for}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer 200 on {wait_for}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
