"""Test harness: every database test runs on SQLite and, with TEST_POSTGRES_URL set, on PostgreSQL.

The schema is migrated once per backend with Alembic; each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from app.tables import metadata

PROJECT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])

# Cheap argon2 parameters keep the suite fast; production defaults are exercised by the benchmark.
FAST_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}


async def _reset_postgres(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'glue-test.sqlite3'}"
    else:
        url = os.environ["TEST_POSTGRES_URL"]
        asyncio.run(_reset_postgres(url))
    upgrade(Settings(database_url=url))
    return url


@pytest.fixture(scope="session")
def key_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("keys") / "jwt-private.pem")


@pytest.fixture
def settings(database_url: str, key_path: str, tmp_path: Path) -> Settings:
    # Mail goes to this test's own directory as .eml files, never to the project's var/mail.
    return Settings(
        database_url=database_url,
        jwt_private_key_path=key_path,
        mail_directory=str(tmp_path / "mail"),
        **FAST_ARGON2,
    )


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgres")


async def empty_tables(app: Starlette) -> None:
    db = app.state.services.db
    names = [table.name for table in reversed(metadata.sorted_tables)]
    if db.is_sqlite:
        for name in names:
            await db.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608 - names come from our metadata
    else:
        await db.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app_factory(settings: Settings):  # type: ignore[no-untyped-def]
    """Build an app with extra settings; its lifespan runs inside the ``client_for`` context."""

    def build(**overrides: object) -> Starlette:
        return create_app(replace(settings, **overrides))  # type: ignore[arg-type]

    return build


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await empty_tables(application)
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_server(database_url: str, key_path: str, **settings: str) -> Iterator[str]:
    """A real uvicorn process serving the app over a socket; ``settings`` are extra GLUE_* values."""
    port = _free_port()
    environment = {
        **os.environ,
        "GLUE_DATABASE_URL": database_url,
        "GLUE_JWT_PRIVATE_KEY_PATH": key_path,
        # Contract and fuzz runs send thousands of failed logins from one address; the limiter's
        # own tests use their own apps with the default limits.
        "GLUE_LOGIN_LIMIT_PER_ADDRESS": "1000000",
        **{f"GLUE_{name.upper()}": str(value) for name, value in FAST_ARGON2.items()},
        **{f"GLUE_{name.upper()}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=PROJECT,
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not become ready")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(database_url: str, key_path: str) -> Iterator[str]:
    """The app in a uvicorn process on this backend's database, for the whole session."""
    # The tests' own apps deliver the outbox; a session-long server must not take their mail.
    with uvicorn_server(database_url, key_path, mail_worker_enabled="false") as base:
        yield base
