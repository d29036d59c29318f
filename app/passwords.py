"""Password hashing (argon2id, always off the event loop) and the password policy."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app import metrics
from app.settings import Settings

__all__ = ["PasswordHasherService", "password_policy_violations", "MAX_PASSWORD_LENGTH"]

MAX_PASSWORD_LENGTH = 128

_Result = TypeVar("_Result")


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class PasswordHasherService:
    """argon2id with the configured cost; every call runs in a worker thread."""

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
        # argon2_memory_kib of memory, which each worker thread's malloc arena keeps afterwards.
        # More at once than there are cores finishes none sooner; on the default thread pool (40
        # threads) a burst of logins only multiplies that memory and starves the event loop.
        self._limiter = CapacityLimiter(settings.argon2_max_concurrent or _available_cores())

    async def hash_password(self, password: str) -> str:
        return await self._compute(self._hasher.hash, password)

    async def verify_password(self, password_hash: str | None, password: str) -> bool:
        """Constant-cost check: an absent hash is verified against the decoy and fails."""
        return await self._compute(self._verify, password_hash, password)

    async def _compute(self, function: Callable[..., _Result], *arguments: object) -> _Result:
        """One argon2id computation in a worker thread, once a slot is free. The two metrics hooks
        (the wait for a slot, the computations running) stay whatever the queue becomes."""
        queued_at = time.perf_counter()
        async with self._limiter:
            metrics.argon2_queue_waited(time.perf_counter() - queued_at)
            with metrics.argon2_in_flight():
                # The slot bounds the threads; the thread pool's own limit (40) is never reached.
                return await anyio.to_thread.run_sync(function, *arguments)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

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
