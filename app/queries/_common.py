from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg

__all__ = ["is_unique_violation", "mapping"]


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


def mapping(record: Any) -> dict[str, Any]:
    return dict(record._mapping)
