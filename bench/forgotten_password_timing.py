"""Does POST /customer-forgotten-password take longer for a known e-mail than for an unknown one?

Starts the app as ``make run`` does (uvicorn, default settings, a fresh SQLite file unless
``--database-url`` is given), registers one customer, then alternates known and unknown e-mails
and prints the median and 90th percentile of each.

    .venv/bin/python bench/forgotten_password_timing.py [--calls 200] [--floor SECONDS]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parent.parent
JSON_API = {"Content-Type": "application/vnd.api+json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def forgot(http: httpx.Client, email: str) -> float:
    body = {"data": {"type": "customer-forgotten-password", "attributes": {"email": email}}}
    started = time.perf_counter()
    response = http.post("/customer-forgotten-password", json=body, headers=JSON_API)
    elapsed = time.perf_counter() - started
    assert response.status_code == 204, response.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--floor", help="GLUE_FORGOTTEN_PASSWORD_MIN_SECONDS (default: the setting's default)"
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="forgotten-timing-"))
    environment = {
        **os.environ,
        "GLUE_DATABASE_URL": arguments.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "GLUE_JWT_PRIVATE_KEY_PATH": str(workdir / "jwt-private.pem"),
        "GLUE_MAIL_DIRECTORY": str(workdir / "mail"),
        # Every call must do the real work: the per-e-mail limit would otherwise turn all but the
        # first known-e-mail calls into the cheaper "over the limit" path.
        "GLUE_FORGOTTEN_PASSWORD_LIMIT_PER_EMAIL": "1000000",
        "GLUE_FORGOTTEN_PASSWORD_LIMIT_PER_ADDRESS": "1000000",
    }
    if arguments.floor is not None:
        environment["GLUE_FORGOTTEN_PASSWORD_MIN_SECONDS"] = arguments.floor
    subprocess.run([sys.executable, "-m", "app.migrate"], cwd=PROJECT, env=environment, check=True)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:app",
            "--port",
            str(port),
            "--log-level",
            "error",
        ],
        cwd=PROJECT,
        env=environment,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):
                try:
                    if http.get("/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            known = f"timing-{time.time_ns()}@example.com"
            attributes = {
                "salutation": "Mr",
                "firstName": "Tim",
                "lastName": "Ing",
                "email": known,
                "password": "Correct-Horse-7",
                "confirmPassword": "Correct-Horse-7",
                "acceptedTerms": True,
            }
            created = http.post(
                "/customers", json={"data": {"type": "customers", "attributes": attributes}}, headers=JSON_API
            )
            assert created.status_code == 201, created.text
            for _ in range(10):  # warm up both paths
                forgot(http, known)
                forgot(http, "warm-up@example.com")
            timings: dict[str, list[float]] = {"known": [], "unknown": []}
            for number in range(arguments.calls):
                timings["known"].append(forgot(http, known))
                timings["unknown"].append(forgot(http, f"unknown-{number}@example.com"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    for label, values in timings.items():
        values.sort()
        print(
            f"{label:8} n={len(values)} median={statistics.median(values) * 1000:.2f} ms "
            f"p90={values[int(len(values) * 0.9)] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
