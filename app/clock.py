"""Time in one place: UTC, timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_now", "as_utc"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive UTC timestamps; PostgreSQL aware ones. Both leave here aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
