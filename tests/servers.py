"""Real uvicorn processes for tests that need a socket, several workers or a database they can cut."""

from __future__ import annotations

import os
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
FAST_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
