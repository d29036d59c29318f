"""Packaging: the lock files match pyproject.toml; one version everywhere; the changelog; the
container's commands (Dockerfile and compose.yaml), run outside a container since no Docker engine
runs here (``make lint`` lints the Dockerfile with hadolint)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.settings import Settings
from app.version import VERSION
from tests.servers import PROJECT, free_port

PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)(?:\s*;[^\\]*)?\s*\\$")
ROOT_ANNOTATION = "glue-customers (pyproject.toml)"


def _lock(name: str) -> dict[str, tuple[str, set[str]]]:
    """Each locked package: its version and what it is there for (uv's ``# via`` lines)."""
    locked: dict[str, tuple[str, set[str]]] = {}
    current = None
    for line in (PROJECT / name).read_text(encoding="utf-8").splitlines():
        pin = _PIN.match(line)
        if pin:
            current = canonicalize_name(pin.group(1))
            assert current not in locked, f"{name} pins {current} twice"
            locked[current] = (pin.group(2), set())
        elif current and line.strip().startswith("# via"):
            via = line.strip().removeprefix("# via").strip()
            if via:
                locked[current][1].add(via)
        elif current and line.startswith("    #   "):
            locked[current][1].add(line.strip().removeprefix("#").strip())
    return locked


def _requirements(*extras: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    declared = list(project["dependencies"])
    for extra in extras:
        declared += project["optional-dependencies"][extra]
    return [Requirement(text) for text in declared]


@pytest.mark.parametrize(
    ("lock", "extras"),
    [
        ("requirements-dev.lock", list(PYPROJECT["project"]["optional-dependencies"])),
        ("requirements.lock", ["otel"]),
    ],
)
def test_the_lock_is_what_pyproject_requires_and_nothing_else(lock, extras):
    locked = _lock(lock)
    requirements = _requirements(*extras)
    direct = {canonicalize_name(requirement.name) for requirement in requirements}
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{lock} lacks {requirement}: run make lock"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (
            f"{lock} pins {name}=={locked[name][0]}, pyproject.toml asks {requirement}: run make lock"
        )
    # Every other package is there for a locked one: nothing stale is left behind.
    for name, (_, via) in locked.items():
        reasons = {reason for reason in via if not reason.startswith("-c ")}
        if ROOT_ANNOTATION in reasons:
            assert name in direct, f"{lock} still has {name}, which pyproject.toml no longer asks for"
        else:
            assert reasons and all(canonicalize_name(reason.split()[0]) in locked for reason in reasons), name


def test_the_image_lock_pins_what_the_development_lock_pins():
    development = _lock("requirements-dev.lock")
    image = _lock("requirements.lock")
    assert {name: version for name, (version, _) in image.items()} == {
        name: development[name][0] for name in image
    }


def test_every_locked_package_carries_hashes():
    for lock in ("requirements-dev.lock", "requirements.lock"):
        text = (PROJECT / lock).read_text(encoding="utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert all("--hash=sha256:" in block for block in blocks), lock


def test_one_version_in_pyproject_the_contract_the_changelog_and_the_service():
    declared = PYPROJECT["project"]["version"]
    contract = yaml.safe_load((PROJECT / "openapi.yaml").read_text(encoding="utf-8"))["info"]["version"]
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", _changelog(), re.MULTILINE)
    assert declared == contract == released[0] == VERSION


def _changelog() -> str:
    return (PROJECT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_changelog_keeps_a_changelog():
    text = _changelog()
    assert text.startswith("# Changelog\n") and "https://keepachangelog.com/en/1.1.0/" in text
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[0] == "[Unreleased]"
    versions = [
        re.fullmatch(r"\[(\d+)\.(\d+)\.(\d+)\] - \d{4}-\d{2}-\d{2}", heading) for heading in headings[1:]
    ]
    assert all(versions), headings
    numbers = [tuple(int(part) for part in match.groups()) for match in versions if match]
    assert numbers == sorted(numbers, reverse=True)
    kinds = set(re.findall(r"^### (.+)$", text, re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (PROJECT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _exec_form(arguments: str) -> list[str]:
    parsed: list[str] = json.loads(arguments)
    return parsed


def _image() -> dict[str, Any]:
    instructions = _dockerfile_instructions()
    stages = [argument for instruction, argument in instructions if instruction == "FROM"]
    (healthcheck,) = [argument for instruction, argument in instructions if instruction == "HEALTHCHECK"]
    (command,) = [argument for instruction, argument in instructions if instruction == "CMD"]
    (user,) = [argument for instruction, argument in instructions if instruction == "USER"]
    return {
        "stages": stages,
        "healthcheck": _exec_form(healthcheck.split("CMD", 1)[1]),
        "command": _exec_form(command),
        "user": user,
        "entrypoint": [argument for instruction, argument in instructions if instruction == "ENTRYPOINT"],
        "runs": " ".join(argument for instruction, argument in instructions if instruction == "RUN"),
    }


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def _with_defaults(value: str) -> str:
    """Compose's ``${NAME:-default}``, as when NAME is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_image_is_multi_stage_slim_and_unprivileged_and_never_migrates_on_start():
    image = _image()
    assert len(image["stages"]) >= 2 and all(
        stage.startswith("python:3.11-slim") for stage in image["stages"]
    )
    assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", image["user"])  # numeric and not root
    assert image["entrypoint"] == [] and image["command"][:2] == ["glue-customers", "serve"]
    assert (
        "migrate" not in image["command"]
        and "--require-hashes --no-deps -r requirements.lock" in image["runs"]
    )


def test_compose_runs_postgresql_16_redis_7_and_the_service_with_valid_settings():
    services = _compose()["services"]
    assert services["postgres"]["image"] == "postgres:16" and services["redis"]["image"] == "redis:7"
    service, migrate = services["glue-customers"], services["migrate"]
    assert service["build"] == "." and "command" not in service  # the image's command
    assert set(service["depends_on"]) == {"postgres", "redis"}
    assert migrate["command"] == ["glue-customers", "migrate", "upgrade"] and migrate["profiles"] == [
        "migrate"
    ]
    for environment in (service["environment"], migrate["environment"]):
        settings = Settings.from_environment(
            {name: _with_defaults(str(value)) for name, value in environment.items()}
        )
        assert (
            settings.database_url.startswith("postgresql://glue:")
            and "@postgres:5432/" in settings.database_url
        )
        assert settings.redis_url == "redis://redis:6379/0"


def _on_this_machine(command: list[str], port: int) -> list[str]:
    """The image's command as it runs here: our virtualenv first on the PATH as /opt/venv/bin is in
    the image, this machine's loopback and a free port instead of 0.0.0.0:8000."""
    replaced = [argument.replace("0.0.0.0", "127.0.0.1") for argument in command]  # noqa: S104
    replaced = [argument.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for argument in replaced]
    if "--port" in replaced:
        replaced[replaced.index("--port") + 1] = str(port)
    return replaced


def test_the_containers_commands_work_outside_a_container(tmp_path):
    image, compose = _image(), _compose()
    port = free_port()
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GLUE_DATABASE_URL": f"sqlite:///{tmp_path / 'glue.sqlite3'}",
        "GLUE_JWT_PRIVATE_KEY_PATH": str(tmp_path / "jwt-private.pem"),
        "GLUE_MAIL_DIRECTORY": str(tmp_path / "mail"),
        "GLUE_LOG_LEVEL": "warning",
    }
    migrate = subprocess.run(
        compose["services"]["migrate"]["command"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    current = subprocess.run(
        ["glue-customers", "migrate", "current"], cwd=PROJECT, env=environment, capture_output=True, text=True
    )
    assert current.returncode == 0 and "(head)" in current.stdout
    healthcheck = _on_this_machine(image["healthcheck"], port)
    server = subprocess.Popen(_on_this_machine(image["command"], port), cwd=PROJECT, env=environment)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, shlex.join(image["command"])
            time.sleep(0.1)
        assert subprocess.run(healthcheck, cwd=PROJECT, env=environment, timeout=30).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=15)
    unhealthy = subprocess.run(healthcheck, cwd=PROJECT, env=environment, capture_output=True, timeout=30)
    # uvicorn stops gracefully on SIGTERM, then ends by that signal (as PID 1 in a container: 0)
    assert server.returncode == -signal.SIGTERM and unhealthy.returncode != 0
