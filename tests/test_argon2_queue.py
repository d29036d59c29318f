"""The argon2 queue: arrival order, a bound answered with 503 (code 018), threads that yield the CPU."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading

import httpx
import pytest

from app.passwords import Argon2Queue
from tests.conftest import empty_tables
from tests.helpers import document, error, post, register, registration
from tests.servers import PROJECT

UNAVAILABLE = error(503, "018", "Service temporarily unavailable.")


async def test_computations_start_in_arrival_order():
    queue = Argon2Queue(threads=1, limit=100, nice=0)
    started: list[int] = []
    try:
        results = await asyncio.gather(*(queue.run(started.append, index) for index in range(50)))
    finally:
        queue.close()
    assert started == list(range(50))
    assert results == [None] * 50


async def test_an_error_in_a_computation_reaches_its_caller_only():
    queue = Argon2Queue(threads=1, limit=10, nice=0)
    try:
        failing = queue.run(int, "not a number")
        passing = queue.run(int, "42")
        outcomes = await asyncio.gather(failing, passing, return_exceptions=True)
    finally:
        queue.close()
    assert isinstance(outcomes[0], ValueError)
    assert outcomes[1] == 42


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
async def test_argon2_threads_run_at_the_configured_nice_value():
    queue = Argon2Queue(threads=2, limit=10, nice=7)
    try:
        thread_nice = await queue.run(os.getpriority, os.PRIO_PROCESS, 0)
    finally:
        queue.close()
    assert thread_nice == 7
    assert os.getpriority(os.PRIO_PROCESS, 0) == 0  # the event loop's thread keeps its priority


@pytest.fixture
async def one_slot_app(app_factory):
    """An app with one argon2 thread and room for one waiting computation, and a way to hold it."""
    app = app_factory(argon2_max_concurrent=1, argon2_queue_limit=1)
    async with app.router.lifespan_context(app):
        await empty_tables(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


async def _while_the_queue_is_full(app, send):
    """``await send()`` while the only argon2 thread and the only waiting place are taken."""
    queue = app.state.services.hasher.queue
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait()

    held = [asyncio.create_task(queue.run(hold))]
    try:
        assert await asyncio.to_thread(holding.wait, 10)
        held.append(asyncio.create_task(queue.run(lambda: None)))
        await asyncio.sleep(0)
        assert queue.waiting == 1
        return await send()
    finally:
        release.set()
        await asyncio.gather(*held)


def _assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response.json()["errors"] == [UNAVAILABLE]
    assert int(response.headers["retry-after"]) >= 1


async def test_a_login_when_the_queue_is_full_is_503_018_and_is_not_counted(one_slot_app):
    app, client = one_slot_app
    customer = await register(client)
    email = customer["attributes"]["email"]
    body = document("access-tokens", {"username": email, "password": "Wrong-Password-1"})

    async def six_logins():
        return [await post(client, "/access-tokens", body) for _ in range(6)]

    for response in await _while_the_queue_is_full(app, six_logins):
        _assert_unavailable(response)
    # None of the six refused attempts counted against the account's limit of five failures.
    statuses = [(await post(client, "/access-tokens", body)).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_a_registration_when_the_queue_is_full_is_503_018_and_writes_nothing(one_slot_app):
    app, client = one_slot_app
    attributes = registration()

    async def register_once():
        return await post(client, "/customers", document("customers", attributes))

    _assert_unavailable(await _while_the_queue_is_full(app, register_once))
    assert (await register_once()).status_code == 201  # the e-mail was not taken by a half-done one


async def test_the_token_endpoint_when_the_queue_is_full_is_503_018(one_slot_app):
    app, client = one_slot_app
    form = {"grant_type": "password", "username": "someone@example.com", "password": "Whatever-123"}

    async def password_grant():
        return await client.post("/token", data=form)

    _assert_unavailable(await _while_the_queue_is_full(app, password_grant))


# Run in a process of its own, as a uvicorn worker builds its app before any other thread exists:
# threads that made malloc arenas of their own earlier (a long test session has many) would keep
# theirs. 24 MiB is below glibc's largest mmap threshold, so from the second computation on the
# memory comes from the arena (as the default 19 MiB does) rather than a mapping of its own.
_IDLE_MEMORY_PROBE = """
import asyncio, time
from argon2 import PasswordHasher
from app.passwords import Argon2Queue

def resident_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

queue = Argon2Queue(threads=1, limit=4, nice=0, idle_seconds=0.05)
hasher = PasswordHasher(memory_cost=24 * 1024, time_cost=1, parallelism=1)
before = resident_mib()

async def hash_and_measure():
    for _ in range(3):
        await queue.run(hasher.hash, "a password")
    return resident_mib()

during = asyncio.run(hash_and_measure())
deadline = time.monotonic() + 5
while resident_mib() > before + 8 and time.monotonic() < deadline:
    time.sleep(0.02)
print(before, during, resident_mib())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc_trim and /proc are Linux's")
def test_an_idle_queue_gives_the_argon2_memory_back():
    completed = subprocess.run(
        [sys.executable, "-c", _IDLE_MEMORY_PROBE], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    before, during, after = (float(value) for value in completed.stdout.split())
    assert during > before + 16  # the computation's memory stayed resident once it finished...
    assert after < before + 8  # ...and was given back once the thread sat idle
