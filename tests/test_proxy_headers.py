"""Proxy headers, one mechanism: ``GLUE_TRUSTED_PROXIES`` is uvicorn's ``forwarded_allow_ips`` (the
service passes it on), and the limiter and the access log read the one client address it yields.
With the setting empty no proxy is trusted, loopback included."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from tests.helpers import JSON_API, document, registration
from tests.servers import uvicorn_server

REDIS_URL = "redis://127.0.0.1:6379/0"
CLIENTS = [f"203.0.113.{index}" for index in range(4)]


def _settings(**extra: str) -> dict[str, str]:
    # The limiter's counts in Redis under a prefix of this test's own: nothing earlier counts.
    return {
        "GLUE_REDIS_URL": REDIS_URL,
        "GLUE_REDIS_KEY_PREFIX": f"glue-test-{uuid.uuid4().hex}:",
        "GLUE_LOGIN_LIMIT_PER_ADDRESS": "2",
        "GLUE_LOG_LEVEL": "info",
        **extra,
    }


def _forwarded_requests(base: str) -> tuple[list[int], str]:
    """Four failed logins, each forwarded for another client; then a registration forwarded as https.
    The login statuses, and the registration's self link."""
    headers = {"Content-Type": JSON_API, "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        statuses = [
            http.post(
                "/access-tokens",
                json=document(
                    "access-tokens", {"username": f"nobody-{index}@example.com", "password": "Wrong-Pass-1"}
                ),
                headers={"X-Forwarded-For": client},
            ).status_code
            for index, client in enumerate(CLIENTS)
        ]
        created = http.post(
            "/customers", json=document("customers", registration()), headers={"X-Forwarded-For": CLIENTS[0]}
        )
        assert created.status_code == 201, created.text
    return statuses, created.json()["data"]["links"]["self"]


def _logged_login_clients(log: Path) -> list[str]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [
        line["client"]
        for line in lines
        if line["logger"] == "glue_customers.access" and line["route"] == "/access-tokens"
    ]


def test_with_no_trusted_proxy_forwarded_headers_from_loopback_change_nothing(
    database_url, key_path, tmp_path
):
    log = tmp_path / "server.log"
    with (
        log.open("wb") as output,
        uvicorn_server(database_url, key_path, settings=_settings(), log=output) as base,
    ):
        statuses, self_link = _forwarded_requests(base)

    assert statuses == [401, 401, 429, 429]  # one client, the socket peer, over its limit of 2
    assert _logged_login_clients(log) == ["127.0.0.1"] * 4
    assert self_link.startswith(f"{base}/customers/")  # X-Forwarded-Proto ignored too


def test_a_trusted_proxy_range_names_the_client_to_the_limiter_and_the_log(database_url, key_path, tmp_path):
    log = tmp_path / "server.log"
    settings = _settings(GLUE_TRUSTED_PROXIES="10.0.0.1, 127.0.0.0/8")
    with (
        log.open("wb") as output,
        uvicorn_server(database_url, key_path, settings=settings, log=output) as base,
    ):
        statuses, self_link = _forwarded_requests(base)
        # A forwarded value that is no address is taken as the client's name, never a failure.
        garbage = httpx.get(
            f"{base}/metrics",
            headers={"X-Forwarded-For": "not an address, [::", "X-Forwarded-Proto": "gopher"},
        )

    assert statuses == [401, 401, 401, 401]  # four clients behind the proxy, one attempt each
    assert garbage.status_code == 403 and garbage.json()["errors"][0]["code"] == "020"  # not local
    assert _logged_login_clients(log) == CLIENTS
    assert self_link.startswith(f"https://{base.removeprefix('http://')}/customers/")
