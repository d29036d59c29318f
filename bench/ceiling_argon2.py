"""Ceiling C: raw argon2id hash and verify rates with the service's parameters on every core.

One process per core runs hash (or verify) back to back for a fixed time, with nothing else on
the machine busy. Login and registration each cost one verify or one hash plus everything around
it, so these rates bound theirs.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass

from argon2 import PasswordHasher, Type

from app.passwords import PasswordHasherService
from app.settings import Settings

__all__ = ["ArgonRate", "measure", "service_hasher_parameters"]

PASSWORD = "Bench-Passw0rd-Correct-Horse"


@dataclass(frozen=True)
class ArgonRate:
    operation: str
    processes: int
    operations: int
    rate: float
    p50_ms: float
    p99_ms: float


def service_hasher_parameters(settings: Settings) -> dict[str, object]:
    return {
        "time_cost": settings.argon2_time_cost,
        "memory_cost": settings.argon2_memory_kib,
        "parallelism": settings.argon2_parallelism,
        "hash_len": 32,
        "salt_len": 16,
        "type": Type.ID,
    }


def _check_same_parameters(settings: Settings, hasher: PasswordHasher) -> str:
    """A hash made by the service's own hasher must not need a rehash under ours."""
    service_hash = asyncio.run(PasswordHasherService(settings).hash_password(PASSWORD))
    if hasher.check_needs_rehash(service_hash):
        raise RuntimeError("the ceiling's argon2 parameters differ from the service's")
    return service_hash


def _work(
    operation: str, parameters: dict[str, object], password_hash: str, seconds: float
) -> tuple[list[float], float]:
    """Durations of each operation, and the time from the first start to the last finish."""
    hasher = PasswordHasher(**parameters)  # type: ignore[arg-type]
    durations: list[float] = []
    first_start = time.perf_counter()
    deadline = first_start + seconds
    while True:
        started = time.perf_counter()
        if started >= deadline:
            return durations, started - first_start
        if operation == "hash":
            hasher.hash(PASSWORD)
        else:
            hasher.verify(password_hash, PASSWORD)
        durations.append(time.perf_counter() - started)


def measure(settings: Settings, operation: str, processes: int, seconds: float) -> ArgonRate:
    parameters = service_hasher_parameters(settings)
    password_hash = _check_same_parameters(settings, PasswordHasher(**parameters))  # type: ignore[arg-type]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(_work, [(operation, parameters, password_hash, seconds)] * processes)
    durations = sorted(duration for result, _ in results for duration in result)
    operations = len(durations)
    rate = sum(len(result) / window for result, window in results)

    def percentile(fraction: float) -> float:
        return durations[max(0, min(operations - 1, int(fraction * operations + 0.999) - 1))] * 1000

    return ArgonRate(operation, processes, operations, rate, percentile(0.50), percentile(0.99))
