"""BO §2: ``python -m app.operators`` run as a process: create (the first administrator),
set-password, reset-mfa, create-client; the password from stdin; exit 0, 1 or 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest

from tests.backoffice.helpers import operator_login
from tests.helpers import bearer, document, post
from tests.servers import PROJECT

PASSWORD = "Command-Line-Secret-9"


def _run(settings, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GLUE_DATABASE_URL": settings.database_url,
        "GLUE_JWT_PRIVATE_KEY_PATH": settings.jwt_private_key_path,
        "GLUE_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "GLUE_ARGON2_TIME_COST": str(settings.argon2_time_cost),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.operators", *arguments],
        input=stdin,
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


CREATE = (
    "create",
    "--email",
    "first@example.com",
    "--role",
    "admin",
    "--first-name",
    "Ada",
    "--last-name",
    "L",
)


async def test_create_makes_an_administrator_with_every_permission_who_logs_in(app, client, settings):
    created = _run(settings, *CREATE, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    operator_id = created.stdout.strip()
    response = await operator_login(client, "first@example.com", PASSWORD)
    assert response.status_code == 201
    token = response.json()["data"]["attributes"]["accessToken"]
    read = await client.get(
        f"/backoffice/operators/{operator_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert read.json()["data"]["attributes"]["permissions"] == [
        "customers:read",
        "customers:write",
        "commerce:write",
        "operators:write",
    ]
    audit = await client.get(
        "/backoffice/audit-events?filter[operatorId]=cli", headers={"Authorization": f"Bearer {token}"}
    )
    assert [event["attributes"]["action"] for event in audit.json()["data"]] == ["CLI create"]


async def test_a_taken_email_or_a_weak_password_exits_1_with_a_message(app, settings):
    assert _run(settings, *CREATE, stdin=PASSWORD + "\n").returncode == 0
    taken = _run(settings, *CREATE, stdin=PASSWORD + "\n")
    assert (taken.returncode, taken.stdout, taken.stderr.strip()) == (
        1,
        "",
        "Operator with this email already exists.",
    )
    weak = _run(settings, *CREATE[:2], "weak@example.com", *CREATE[3:], stdin="short\n")
    assert weak.returncode == 1
    assert weak.stderr.strip() == "password => This value is too short. It should have 12 characters or more."


async def test_bad_usage_exits_2(app, settings):
    assert _run(settings, "create", "--email", "x@example.com").returncode == 2
    assert _run(settings, *CREATE[:4], "boss", *CREATE[5:]).returncode == 2
    assert _run(settings, "frobnicate").returncode == 2


async def test_set_password_replaces_the_password_and_ends_sessions(app, client, settings):
    assert _run(settings, *CREATE, stdin=PASSWORD + "\n").returncode == 0
    first = await operator_login(client, "first@example.com", PASSWORD)
    token = first.json()["data"]["attributes"]["accessToken"]
    changed = _run(settings, "set-password", "--email", "first@example.com", stdin="Replaced-Secret-123\n")
    assert changed.returncode == 0, changed.stderr
    assert (
        await client.get("/backoffice/operators", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    assert (await operator_login(client, "first@example.com", "Replaced-Secret-123")).status_code == 201
    unknown = _run(settings, "set-password", "--email", "nobody@example.com", stdin="Replaced-Secret-123\n")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "Operator not found.")


async def test_reset_mfa_drops_the_enrolment_and_ends_sessions(app, client, settings):
    created = _run(settings, *CREATE, stdin=PASSWORD + "\n")
    token = (await operator_login(client, "first@example.com", PASSWORD)).json()["data"]["attributes"]
    headers = bearer(token["accessToken"])
    enrolment = await client.post("/backoffice/operator-mfa", headers=headers)
    secret = pyotp.parse_uri(enrolment.json()["data"]["attributes"]["otpauthUri"]).secret
    otp = document("operator-mfa", {"otp": pyotp.TOTP(secret).now()})
    assert (await post(client, "/backoffice/operator-mfa/confirm", otp, headers=headers)).status_code == 204
    assert (await operator_login(client, "first@example.com", PASSWORD)).status_code == 401

    reset = _run(settings, "reset-mfa", "--email", "first@example.com")
    unknown = _run(settings, "reset-mfa", "--email", "nobody@example.com")

    assert (reset.returncode, reset.stdout.strip()) == (0, created.stdout.strip()), reset.stderr
    assert (await client.get("/backoffice/operators", headers=headers)).status_code == 401
    assert (await operator_login(client, "first@example.com", PASSWORD)).status_code == 201
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "Operator not found.")


async def test_create_client_prints_id_and_secret_that_get_a_token(app, client, settings):
    created = _run(settings, "create-client", "--name", "ERP", "--permissions", "customers:read")
    assert created.returncode == 0, created.stderr
    client_id, secret = created.stdout.split()
    response = await client.post(
        "/backoffice/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200 and response.json()["scope"] == "customers:read"


@pytest.mark.parametrize("command", ["create"])
def test_the_module_documents_itself(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.operators", command, "--help"],
        cwd=Path(PROJECT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "--pos-id" in result.stdout
