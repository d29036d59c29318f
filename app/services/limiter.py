"""Sliding-window attempt limiting, shared by every worker through the database or Redis.

An attempt is counted *before* the work it guards (the password check), in one atomic
check-and-count per key (a row lock in the database, MULTI/EXEC in Redis), so concurrent attempts on
several workers can never slip past the limit: at worst a burst is refused one attempt early.
Refused attempts are not counted, so a client that keeps trying is not locked out for ever.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from app import metrics
from app.database import Database
from app.queries import limiter as queries
from app.settings import Settings

__all__ = [
    "Limited",
    "Attempt",
    "AttemptLimiter",
    "DatabaseAttemptStore",
    "RedisAttemptStore",
    "build_limiter",
]


class Limited(Exception):
    """Over the limit; ``retry_after`` seconds until the oldest counted attempt leaves the window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    keys: tuple[str, ...]


class AttemptStore(Protocol):
    async def record(
        self, keys: list[str], attempt_id: str, now: float, window: float
    ) -> dict[str, tuple[int, float]]:
        """Add the attempt to each key's window; per key the count and the oldest entry afterwards."""

    async def forget(self, keys: list[str], attempt_id: str, reset_keys: tuple[str, ...] = ()) -> None:
        """Uncount the attempt in each key's window, and clear ``reset_keys`` entirely."""


class DatabaseAttemptStore:
    # Windows nobody tries again stay behind; every this many attempts a process deletes every
    # expired one (an indexed range delete) rather than adding a statement to every login.
    EXPIRED_CLEANUP_EVERY = 64

    def __init__(self, db: Database) -> None:
        self._db = db
        self._attempts = 0

    async def record(
        self, keys: list[str], attempt_id: str, now: float, window: float
    ) -> dict[str, tuple[int, float]]:
        self._attempts += 1
        if self._attempts % self.EXPIRED_CLEANUP_EVERY == 0:
            await queries.drop_expired(self._db, now)
        return await queries.record_attempt(self._db, keys, attempt_id, now, window)

    async def forget(self, keys: list[str], attempt_id: str, reset_keys: tuple[str, ...] = ()) -> None:
        await queries.forget(self._db, keys, attempt_id, reset_keys)


class RedisAttemptStore:
    """One sorted set per key (member = attempt id, score = time), updated in one MULTI/EXEC."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix

    async def record(
        self, keys: list[str], attempt_id: str, now: float, window: float
    ) -> dict[str, tuple[int, float]]:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                name = self._prefix + key
                pipe.zremrangebyscore(name, 0, now - window)
                pipe.zadd(name, {attempt_id: now})
                pipe.zcard(name)
                pipe.zrange(name, 0, 0, withscores=True)
                pipe.expire(name, math.ceil(window))
            results = await pipe.execute()
        counts = {}
        for index, key in enumerate(keys):
            count, oldest = results[index * 5 + 2], results[index * 5 + 3]
            counts[key] = (int(count), float(oldest[0][1]) if oldest else now)
        return counts

    async def forget(self, keys: list[str], attempt_id: str, reset_keys: tuple[str, ...] = ()) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.zrem(self._prefix + key, attempt_id)
            for key in reset_keys:
                pipe.delete(self._prefix + key)
            await pipe.execute()

    async def close(self) -> None:
        await self._redis.aclose()


class AttemptLimiter:
    def __init__(self, store: AttemptStore, window: float) -> None:
        self._store = store
        self._window = window

    async def begin(self, limits: dict[str, int]) -> Attempt:
        """Count one attempt against every key; raise Limited (uncounted) when any key is over its limit."""
        now = time.time()
        attempt = Attempt(str(uuid.uuid4()), tuple(limits))
        counts = await self._store.record(list(limits), attempt.attempt_id, now, self._window)
        over = {key: counts[key][1] for key, limit in limits.items() if counts.get(key, (0, now))[0] > limit}
        if over:
            await self._store.forget(list(limits), attempt.attempt_id)
            for key in over:
                metrics.limiter_refused(key)
            raise Limited(max(1, math.ceil(max(oldest + self._window - now for oldest in over.values()))))
        return attempt

    async def cancel(self, attempt: Attempt) -> None:
        """The guarded work never ran (the service was overloaded): uncount the attempt."""
        await self._store.forget(list(attempt.keys), attempt.attempt_id)

    async def succeeded(self, attempt: Attempt, reset_keys: tuple[str, ...] = ()) -> None:
        """The attempt was not a failure: uncount it, and clear ``reset_keys`` entirely."""
        await self._store.forget(list(attempt.keys), attempt.attempt_id, reset_keys)


def build_limiter(settings: Settings, db: Database) -> tuple[AttemptLimiter, AttemptStore]:
    store: AttemptStore
    if settings.redis_url:
        store = RedisAttemptStore(settings.redis_url, settings.redis_key_prefix)
    else:
        store = DatabaseAttemptStore(db)
    return AttemptLimiter(store, settings.login_limit_window), store
