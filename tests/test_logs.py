"""Logs of a real server: JSON lines outside a terminal, readable text in one; the request id in
every record made while serving a request; one access line per request naming the route template;
never a token, password, key or body."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import time
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import JSON_API, PASSWORD, bearer, document, registration
from tests.mail_helpers import token_of, wait_for_files
from tests.servers import uvicorn_server

NEW_PASSWORD = "Battery-Staple-42"
LOG_KEYS = {"time", "level", "logger", "message", "request_id"}
ACCESS_KEYS = LOG_KEYS | {"method", "route", "status", "duration_ms", "client"}


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


async def _a_customers_day(
    http: httpx.AsyncClient, mail_directory: Path
) -> tuple[list[httpx.Response], dict[str, str]]:
    """Register, log in by both endpoints, read with a query, forget and restore the password, miss a
    path; the answers in order, and every secret or personal value the requests carried."""
    attributes = registration()
    answers = [
        await http.post(
            "/customers",
            json=document("customers", attributes),
            headers={"X-Request-Id": "shop-7.register_A"},
        )
    ]
    reference = answers[0].json()["data"]["id"]
    login = document("access-tokens", {"username": attributes["email"], "password": PASSWORD})
    answers.append(await http.post("/access-tokens", json=login))
    tokens = answers[-1].json()["data"]["attributes"]
    answers.append(
        await http.post(
            "/token",
            data={"grant_type": "password", "username": attributes["email"], "password": PASSWORD},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    )
    oauth_refresh_token = answers[-1].json()["refresh_token"]
    for request_id in ("shop-7.profile", "not valid!", "x" * 129):
        answers.append(
            await http.get(
                f"/customers/{reference}?include=addresses",
                headers={**bearer(tokens["accessToken"]), "X-Request-Id": request_id},
            )
        )
    forgotten = document("customer-forgotten-password", {"email": attributes["email"]})
    answers.append(await http.post("/customer-forgotten-password", json=forgotten))
    # The second is over the per-e-mail limit of 1: the service logs that while serving the request.
    answers.append(
        await http.post(
            "/customer-forgotten-password", json=forgotten, headers={"X-Request-Id": "over-the-limit"}
        )
    )
    key = token_of((await wait_for_files(mail_directory, 1))[0])
    restore = document(
        "customer-restore-password",
        {"restorePasswordKey": key, "password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD},
    )
    answers.append(await http.patch("/customer-restore-password/mine", json=restore))
    answers.append(await http.get(f"/nothing/{reference}"))
    secrets = {
        "password": PASSWORD,
        "new password": NEW_PASSWORD,
        "access token": tokens["accessToken"],
        "refresh token": tokens["refreshToken"],
        "OAuth refresh token": oauth_refresh_token,
        "restore key": key,
        "e-mail": attributes["email"],
        "reference": reference,
    }
    return answers, secrets


async def test_json_lines_carry_request_ids_and_one_access_line_per_request_without_secrets(
    database_url, key_path, tmp_path
):
    log = tmp_path / "server.log"
    mail_directory = tmp_path / "mail"
    settings = {
        "GLUE_LOG_LEVEL": "info",
        "GLUE_MAIL_DIRECTORY": str(mail_directory),
        "GLUE_MAIL_POLL_INTERVAL": "0.05",
        "GLUE_FORGOTTEN_PASSWORD_MIN_SECONDS": "0",
        "GLUE_FORGOTTEN_PASSWORD_LIMIT_PER_EMAIL": "1",
    }
    with (
        log.open("wb") as output,
        uvicorn_server(database_url, key_path, settings=settings, log=output) as base,
    ):
        async with httpx.AsyncClient(base_url=base, headers={"Content-Type": JSON_API}, timeout=10) as http:
            answers, secrets = await _a_customers_day(http, mail_directory)
    # The server has stopped: uvicorn let every request finish, access line included.

    assert [answer.status_code for answer in answers] == [201, 201, 200, 200, 200, 200, 204, 204, 204, 404]
    records = _records(log)  # every line is one JSON object
    assert all(set(record) >= LOG_KEYS for record in records)
    access = [  # those of the test's requests, not of the harness waiting for the server
        record
        for record in records
        if record["logger"] == "glue_customers.access" and record["route"] != "/health/ready"
    ]
    assert [(line["method"], line["route"], line["status"]) for line in access] == [
        ("POST", "/customers", 201),
        ("POST", "/access-tokens", 201),
        ("POST", "/token", 200),
        ("GET", "/customers/{reference}", 200),
        ("GET", "/customers/{reference}", 200),
        ("GET", "/customers/{reference}", 200),
        ("POST", "/customer-forgotten-password", 204),
        ("POST", "/customer-forgotten-password", 204),
        ("PATCH", "/customer-restore-password/{key}", 204),
        ("GET", None, 404),
    ]
    assert all(set(line) == ACCESS_KEYS and line["duration_ms"] >= 0 for line in access)
    assert [line["request_id"] for line in access] == [answer.headers["x-request-id"] for answer in answers]
    # a valid incoming id is kept; an invalid or over-long one is replaced by a new one
    assert access[0]["request_id"] == "shop-7.register_A" and access[3]["request_id"] == "shop-7.profile"
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access[4:6])
    # a record the service made while serving a request carries that request's id
    (over_the_limit,) = [record for record in records if record["logger"] == "glue_customers.passwords"]
    assert over_the_limit["request_id"] == "over-the-limit" and over_the_limit["level"] == "INFO"
    # records made outside any request (uvicorn starting) have none
    assert any(record["logger"].startswith("uvicorn") and record["request_id"] is None for record in records)
    text = log.read_text(encoding="utf-8")
    assert [name for name, secret in secrets.items() if secret in text] == []
    assert "include=" not in text and "/nothing/" not in text
    assert "\\u001b" not in text and "color_message" not in text  # no terminal colours in JSON


def _read_terminal(master: int, line_with: str, within: float = 10.0) -> str:
    """What the terminal shows until a whole line containing ``line_with`` has arrived."""
    seen = ""
    deadline = time.monotonic() + within
    while not re.search(f"{re.escape(line_with)}.*\n", seen) and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            seen += os.read(master, 65536).decode()
    return seen


def test_in_a_terminal_the_lines_are_readable_text(tmp_path):
    # Nothing here touches a database: one run, on an SQLite file that is never opened.
    database_url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    settings = {"GLUE_LOG_LEVEL": "info", "GLUE_MAIL_WORKER_ENABLED": "false"}
    master, terminal = pty.openpty()
    try:
        with uvicorn_server(
            database_url, str(tmp_path / "key.pem"), settings=settings, log=terminal, wait_for="/health/live"
        ) as base:
            httpx.get(f"{base}/health/live", headers={"X-Request-Id": "terminal-check"})
            screen = _read_terminal(master, "[terminal-check]")
    finally:
        os.close(terminal)
        os.close(master)
    lines = [line for line in screen.replace("\r", "").splitlines() if "terminal-check" in line]
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} INFO    glue_customers\.access \[terminal-check\] GET /health/live 200 "
        r"\d+\.\d ms",
        lines[-1],
    ), screen
    assert not any(line.startswith("{") for line in screen.splitlines())
