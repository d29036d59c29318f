"""Password hashing (argon2id, always off the event loop) and the password policy.

argon2 runs on a few dedicated threads fed by one bounded FIFO per process (``Argon2Queue``):
computations start in arrival order, at most ``argon2_max_concurrent`` at once, and when
``argon2_queue_limit`` are already waiting a new one is refused at once (``HashingOverloaded``,
answered 503 with ``Retry-After``) instead of waiting ever longer. The threads run at a lower OS
priority (``argon2_nice``), so under a burst of logins the event loop, and with it every other
request, still gets the CPU first.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import ctypes
import ctypes.util
import importlib.util
import math
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app import metrics
from app.settings import Settings

__all__ = [
    "PasswordHasherService",
    "Argon2Queue",
    "HashingOverloaded",
    "password_policy_violations",
    "MAX_PASSWORD_LENGTH",
]

MAX_PASSWORD_LENGTH = 128

_Result = TypeVar("_Result")


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _glibc() -> ctypes.CDLL | None:
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    libc = ctypes.CDLL(library)
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


_GLIBC = _glibc()
_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def _share_one_malloc_arena() -> None:
    """Make every thread allocate from glibc's main arena.

    By default each thread gets an arena of its own, and an arena's top chunk (where an argon2
    computation's memory lands when it is freed) is given back to the OS neither on free (the
    trim threshold grows with the allocation) nor by malloc_trim. In the main arena malloc_trim
    does give it back, so an idle process drops the argon2 memory. The threads share one arena
    lock, which argon2 takes twice per computation (its one allocation and its free).
    """
    if _GLIBC is not None:
        _GLIBC.mallopt(_M_ARENA_MAX, 1)


def _release_free_memory() -> None:
    """Return the free memory of the malloc arena to the OS (glibc's malloc_trim)."""
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)


class HashingOverloaded(Exception):
    """The argon2 queue is full; ``retry_after`` seconds is about how long it takes to drain."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass
class _Job(Generic[_Result]):
    function: Callable[..., _Result]
    arguments: tuple[Any, ...]
    future: asyncio.Future[_Result]
    loop: asyncio.AbstractEventLoop


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Argon2Queue:
    """A bounded FIFO in front of ``threads`` dedicated threads (started on first use); a thread
    idle for ``idle_seconds`` hands the memory of its computations back to the OS.

    One FIFO for every caller is what makes the order fair: a thread takes the oldest job as soon as
    it is free, without a round through the event loop, so no core idles while jobs wait.
    """

    # Assumed duration of one computation until one has been timed (for Retry-After only).
    _INITIAL_SECONDS = 0.05

    def __init__(self, threads: int, limit: int, nice: int, idle_seconds: float = 1.0) -> None:
        self._thread_count = threads
        self._idle_seconds = idle_seconds
        self._limit = limit
        self._nice = nice
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._waiting = 0  # submitted, not yet started (changed under _count_lock)
        self._running = 0
        self._count_lock = threading.Lock()
        self._mean_seconds = self._INITIAL_SECONDS
        # Before any thread of this process has made an arena of its own (the app is built first).
        _share_one_malloc_arena()

    @property
    def waiting(self) -> int:
        """Computations queued and not yet started."""
        return self._waiting

    @property
    def running(self) -> int:
        """Computations on a thread right now."""
        return self._running

    async def run(self, function: Callable[..., _Result], *arguments: Any) -> _Result:
        """``function(*arguments)`` on an argon2 thread, after every job submitted before it."""
        with self._count_lock:
            if self._waiting >= self._limit:
                drain = (self._waiting + self._running) * self._mean_seconds / self._thread_count
                raise HashingOverloaded(max(1, math.ceil(drain)))
            self._waiting += 1
        self._ensure_threads()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Result] = loop.create_future()
        job = _Job(function, arguments, future, loop)
        self._jobs.put(job)
        try:
            return await job.future
        finally:
            if not job.future.done():  # cancelled while queued: the thread will skip it
                job.future.cancel()

    def close(self) -> None:
        """Let the threads finish the jobs queued so far and exit (a later ``run`` starts new ones)."""
        with self._start_lock:
            threads, self._threads = self._threads, []
            for _ in threads:
                self._jobs.put(None)
        for thread in threads:
            thread.join()

    def _ensure_threads(self) -> None:
        if self._threads:
            return
        with self._start_lock:
            while len(self._threads) < self._thread_count:
                thread = threading.Thread(target=self._work, name="argon2", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _next_job(self) -> _Job[Any] | None:
        try:
            return self._jobs.get(timeout=self._idle_seconds)
        except queue.Empty:
            # Idle: give the argon2 memory this thread's malloc arena kept back to the OS, once per
            # idle spell. Under load the queue is never empty for this long, so no computation pays
            # for the pages it would fault in again.
            _release_free_memory()
            return self._jobs.get()

    def _work(self) -> None:
        if self._nice and sys.platform == "linux":
            # Linux gives each thread its own nice value: only this thread yields to the event loop.
            # (Elsewhere the call would reprioritise the whole process, so it is left alone.)
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)
        while (job := self._next_job()) is not None:
            with self._count_lock:
                self._waiting -= 1
                if job.future.cancelled():
                    continue
                self._running += 1
            started = time.monotonic()
            result: Any = None
            error: BaseException | None = None
            try:
                result = job.function(*job.arguments)
            except BaseException as raised:  # handed to the caller, whatever it is
                error = raised
            elapsed = time.monotonic() - started
            with self._count_lock:
                self._running -= 1
                self._mean_seconds += (elapsed - self._mean_seconds) / 8
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for this result
                job.loop.call_soon_threadsafe(_settle, job.future, result, error)


class PasswordHasherService:
    """argon2id with the configured cost; every computation goes through the process's queue."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verifying against this hash costs what verifying a real one does: a login for an
        # unknown e-mail takes as long as a login with a wrong password.
        self._decoy_hash = self._hasher.hash("decoy password that never matches")
        # One argon2id computation keeps one core busy for its whole duration and holds
        # argon2_memory_kib of memory, which each thread's malloc arena keeps afterwards: a few
        # long-lived threads cost that memory once each, and more at once than there are cores
        # finishes none sooner.
        self.queue = Argon2Queue(
            threads=settings.argon2_max_concurrent or _available_cores(),
            limit=settings.argon2_queue_limit,
            nice=settings.argon2_nice,
        )

    async def hash_password(self, password: str) -> str:
        return await self._compute(self._hasher.hash, password)

    async def verify_password(self, password_hash: str | None, password: str) -> bool:
        """Constant-cost check: an absent hash is verified against the decoy and fails."""
        return await self._compute(self._verify, password_hash, password)

    async def _compute(self, function: Callable[..., _Result], *arguments: Any) -> _Result:
        """One argon2id computation on an argon2 thread, after every one submitted before it. The two
        metrics hooks run on that thread as it starts: the queue wait (submission to start) and the
        computation in flight; a refused or cancelled computation is in neither."""
        submitted_at = time.perf_counter()

        def measured() -> _Result:
            metrics.argon2_queue_waited(time.perf_counter() - submitted_at)
            with metrics.argon2_in_flight():
                return function(*arguments)

        return await self.queue.run(measured)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        self.queue.close()

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(password_hash or self._decoy_hash, password) and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


_PASSWORDS_LINE = re.compile(r'^\s*"passwords":\s*"([^"]*)"', re.MULTILINE)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of leaked password sets, as zxcvbn ships them.

    zxcvbn's package holds five more word lists (names, English words) and importing it costs each
    worker about 14 MB for good. The passwords are one string literal in its frequency_lists module,
    read from the file without importing the package; the import is the fallback should the file
    ever change shape.
    """
    spec = importlib.util.find_spec("zxcvbn")
    package_directory = Path(spec.origin).parent if spec and spec.origin else None
    if package_directory is not None:
        source = (package_directory / "frequency_lists.py").read_text(encoding="utf-8")
        match = _PASSWORDS_LINE.search(source)
        if match is not None:
            return frozenset(ast.literal_eval(f'"{match.group(1)}"').split(","))
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # pragma: no cover - another zxcvbn release

    return frozenset(FREQUENCY_LISTS["passwords"])  # pragma: no cover


def password_policy_violations(password: str, min_length: int) -> list[str]:
    """The policy's messages for ``password`` (empty when it is acceptable)."""
    if len(password) < min_length:
        return [f"This value is too short. It should have {min_length} characters or more."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"This value is too long. It should have {MAX_PASSWORD_LENGTH} characters or less."]
    if len(set(password)) == 1:
        return ["This value should not consist of one repeated character."]
    if password.lower() in _common_passwords():
        return ["This password is too common."]
    return []
