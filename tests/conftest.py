"""Test harness: every database test runs on SQLite and, with TEST_POSTGRES_URL set, on PostgreSQL.

The schema is migrated once per backend with Alembic; each test starts from empty tables. Under
pytest-xdist (``make test`` runs one process per core) every process has databases of its own: a
SQLite file in its temporary directory, and on PostgreSQL the database named by TEST_POSTGRES_URL
with the process's name appended (``test_gw0``), created when missing.

Durability on power loss is nothing these tests look at, and waiting for it was most of the time of
a write: the SQLite files live on tmpfs (``/dev/shm``) where there is one, and the PostgreSQL test
databases commit with ``synchronous_commit = off`` (a commit does not wait for its WAL flush; what
one connection commits is still what the next one reads, and a crash loses no consistency).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from app.tables import metadata
from tests.servers import FAST_ARGON2, uvicorn_server

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])


# The longest tests by far (minutes each, the rest take seconds): the contract's runs.
LONGEST = ("tests/test_contract.py::test_every_operation_honours_the_contract[",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist's worksteal schedule (``make test``) each process is handed a contiguous
    share of the collection and the others steal from its end: each of the longest tests goes to
    the front of its own share, so they run side by side from the start instead of last."""
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    longest = [item for item in items if item.nodeid.startswith(LONGEST)]
    if processes < 2 or not longest:
        return
    rest = [item for item in items if not item.nodeid.startswith(LONGEST)]
    ordered: list[pytest.Item] = []
    left = len(items)
    for share in range(processes):  # the shares as worksteal cuts them: what is left, evenly
        size = left // (processes - share)
        front = longest[share:] if share == processes - 1 else longest[share : share + 1]
        taken = size - len(front)
        ordered += front + rest[:taken]
        rest = rest[taken:]
        left -= size
    items[:] = ordered + rest


async def _reset_postgres(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        # For the connections opened from now on (the apps', the servers'), not for this one.
        name = await connection.fetchval("SELECT current_database()")
        await connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await connection.close()


async def _create_postgres_database(url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def _postgres_url_for_this_process() -> str:
    """TEST_POSTGRES_URL, or under pytest-xdist a database of this worker process's own beside it."""
    url = os.environ["TEST_POSTGRES_URL"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    asyncio.run(_create_postgres_database(url, name))
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def sqlite_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory for this process's SQLite files: on tmpfs where there is one."""
    if not (os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK)):  # noqa: S108 - our own directory in it
        yield tmp_path_factory.mktemp("sqlite")
        return
    directory = Path(tempfile.mkdtemp(prefix="glue-test-", dir="/dev/shm"))  # noqa: S108
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, sqlite_directory: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(dir=sqlite_directory)) / 'glue-test.sqlite3'}"
    else:
        url = _postgres_url_for_this_process()
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


# What TRUNCATE ... RESTART IDENTITY does to the sequences, without its new file for every table and
# index (on PostgreSQL most of a short test's time went there): each starts again at its first value.
_RESTART_SEQUENCES = sa.text(
    "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema()"
)


async def empty_tables(app: Starlette) -> None:
    """Every table emptied, children first, in one transaction; PostgreSQL's sequences restarted."""
    db = app.state.services.db
    async with db.transaction() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(sa.delete(table))
        if not db.is_sqlite:
            await connection.execute(_RESTART_SEQUENCES)


@pytest.fixture
async def app_factory(settings: Settings):  # type: ignore[no-untyped-def]
    """Build an app with extra settings; the test runs its lifespan.

    The tables are emptied once before the test, as the ``app`` fixture does: rows another test left
    (the login limiter's windows above all) must not reach this one.
    """
    cleaner = create_app(replace(settings, mail_worker_enabled=False))
    async with cleaner.router.lifespan_context(cleaner):
        await empty_tables(cleaner)

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


@pytest.fixture(scope="session")
def live_server(database_url: str, key_path: str) -> Iterator[str]:
    """A real uvicorn process serving the app over a socket, on this backend's database."""
    settings = {
        # The tests' own apps deliver the outbox; a session-long server must not take their mail.
        "GLUE_MAIL_WORKER_ENABLED": "false",
        # Contract and fuzz runs send thousands of failed logins from one address; the limiter's
        # own tests use their own apps with the default limits.
        "GLUE_LOGIN_LIMIT_PER_ADDRESS": "1000000",
    }
    with uvicorn_server(database_url, key_path, settings=settings) as base:
        yield base
