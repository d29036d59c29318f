"""The command line: ``glue-customers`` and ``python -m app``. ``--help`` does nothing else, a bad
argument exits 2 with the usage, a bad setting exits 1 naming the variable; nothing starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.version import VERSION
from tests.servers import PROJECT

GLUE_CUSTOMERS = str(Path(sys.executable).parent / "glue-customers")
PYTHON = sys.executable


def _run(arguments: list[str], tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """The command with a database and a key that nothing may create."""
    state = tmp_path / "state"
    settings = {
        "GLUE_DATABASE_URL": f"sqlite:///{state / 'glue.sqlite3'}",
        "GLUE_JWT_PRIVATE_KEY_PATH": str(state / "jwt-private.pem"),
        "GLUE_MAIL_DIRECTORY": str(state / "mail"),
    }
    return subprocess.run(
        arguments,
        cwd=PROJECT,
        env={**os.environ, **settings, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "arguments",
    [
        [PYTHON, "-m", "app", "--help"],
        [PYTHON, "-m", "app.migrate", "--help"],
        [PYTHON, "-m", "app.mail.worker", "--help"],
        [GLUE_CUSTOMERS, "--help"],
        [GLUE_CUSTOMERS, "serve", "--help"],
        [GLUE_CUSTOMERS, "migrate", "--help"],
        [GLUE_CUSTOMERS, "migrate", "downgrade", "--help"],
        [GLUE_CUSTOMERS, "mail-worker", "-h"],
    ],
    ids=lambda arguments: " ".join(Path(arguments[0]).name if i == 0 else a for i, a in enumerate(arguments)),
)
def test_help_prints_the_usage_and_does_nothing_else(arguments, tmp_path):
    result = _run(arguments, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ") and result.stderr == ""
    assert not (tmp_path / "state").exists()  # no database, no key, no mail directory


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (
            [PYTHON, "-m", "app", "--port", "0"],
            "argument --port: must be a port number from 1 to 65535, got '0'",
        ),
        ([PYTHON, "-m", "app", "--port", "http"], "argument --port: must be a port number"),
        ([PYTHON, "-m", "app", "--workers", "0"], "argument --workers: must be a whole number of at least 1"),
        ([PYTHON, "-m", "app", "--host", ""], "argument --host: must not be empty"),
        ([PYTHON, "-m", "app", "serve"], "unrecognized arguments: serve"),
        ([GLUE_CUSTOMERS], "the following arguments are required: COMMAND"),
        ([GLUE_CUSTOMERS, "start"], "invalid choice: 'start'"),
        ([GLUE_CUSTOMERS, "migrate", "downgrade"], "the following arguments are required: REVISION"),
        ([GLUE_CUSTOMERS, "migrate", "sideways"], "invalid choice: 'sideways'"),
        ([GLUE_CUSTOMERS, "mail-worker", "--drian"], "unrecognized arguments: --drian"),
        ([PYTHON, "-m", "app.migrate", "upgrade", "head", "now"], "unrecognized arguments: now"),
    ],
)
def test_a_bad_argument_exits_2_with_the_usage(arguments, complaint, tmp_path):
    result = _run(arguments, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ") and complaint in result.stderr
    assert result.stdout == "" and not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("command", "variable", "value"),
    [
        ([PYTHON, "-m", "app"], "GLUE_TRUSTED_PROXIES", "proxy.example"),
        ([PYTHON, "-m", "app"], "GLUE_LOG_FORMAT", "xml"),
        ([GLUE_CUSTOMERS, "serve"], "GLUE_METRICS_TOKEN", "short"),
        ([GLUE_CUSTOMERS, "migrate"], "GLUE_LOG_LEVEL", "loud"),
        ([GLUE_CUSTOMERS, "mail-worker", "--drain"], "GLUE_NO_SUCH_SETTING", "1"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_the_variable(command, variable, value, tmp_path):
    result = _run(command, tmp_path, **{variable: value})
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()  # one line, no traceback
    assert variable in line
    assert not (tmp_path / "state").exists()


def test_tracing_asked_for_without_the_extra_stops_the_start(tmp_path):
    # A package of that name first on the path hides the installed OpenTelemetry, as on a machine
    # without the extra.
    (tmp_path / "hidden" / "opentelemetry").mkdir(parents=True)
    (tmp_path / "hidden" / "opentelemetry" / "__init__.py").write_text("")
    result = _run(
        [PYTHON, "-m", "app"],
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318",
        PYTHONPATH=str(tmp_path / "hidden"),
    )
    assert result.returncode == 1
    assert result.stderr == (
        "python -m app: OTEL_EXPORTER_OTLP_ENDPOINT is set, but OpenTelemetry is not installed: "
        "pip install 'glue-customers[otel]'\n"
    )


def test_version_is_the_projects(tmp_path):
    result = _run([GLUE_CUSTOMERS, "--version"], tmp_path)
    assert result.returncode == 0 and result.stdout == f"glue-customers {VERSION}\n"
