"""SQL for the limiter's sliding windows (the default store; Redis replaces it when configured).

One row per key holds the attempts counted in its window (``login_windows.entries``, a JSON list of
``[occurred_at, attempt_id]``). Counting an attempt is one upsert per call: it drops the entries
that left the window, appends the new one and returns each key's count and oldest entry. The
upsert locks each key's row, so concurrent attempts on a key are applied one after the other and
each one's count includes every attempt before it (PostgreSQL re-reads a locked row's newest
version; SQLite has one writer at a time). Keys are locked in sorted order, so two attempts sharing
keys cannot deadlock.

PostgreSQL keeps the entries as ``jsonb``, SQLite as JSON text: the statements differ only in the
JSON functions they call. Each shape (per number of keys) is compiled once: on every login these
statements go straight to asyncpg.
"""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa

from app.database import Database, PrecompiledSelect
from app.queries._common import precompiled
from app.tables import login_windows

__all__ = ["record_attempt", "drop_expired", "forget"]

_POSTGRESQL_RECORD = """
INSERT INTO login_windows AS stored (key, entries, expires_at)
VALUES {values}
ON CONFLICT (key) DO UPDATE SET
    entries = COALESCE(
        (SELECT jsonb_agg(entry ORDER BY CAST(entry ->> 0 AS float8))
           FROM jsonb_array_elements(stored.entries) AS entry
          WHERE CAST(entry ->> 0 AS float8) > CAST(:cutoff AS float8)),
        CAST('[]' AS jsonb)
    ) || EXCLUDED.entries,
    expires_at = GREATEST(stored.expires_at, EXCLUDED.expires_at)
RETURNING key, jsonb_array_length(entries), CAST(entries -> 0 ->> 0 AS float8)
"""
_POSTGRESQL_NEW_ENTRIES = (
    "jsonb_build_array(jsonb_build_array(CAST(:now AS float8), CAST(:attempt_id AS text)))"
)

_SQLITE_RECORD = """
INSERT INTO login_windows (key, entries, expires_at)
VALUES {values}
ON CONFLICT (key) DO UPDATE SET
    entries = json_insert(
        (SELECT json_group_array(json(entry.value))
           FROM json_each(login_windows.entries) AS entry
          WHERE json_extract(entry.value, '$[0]') > :cutoff),
        '$[#]', json_array(:now, :attempt_id)
    ),
    expires_at = max(login_windows.expires_at, excluded.expires_at)
RETURNING key, json_array_length(entries), json_extract(entries, '$[0][0]')
"""
_SQLITE_NEW_ENTRIES = "json_array(json_array(:now, :attempt_id))"

# Forgetting is an upsert too, so that it locks the keys' rows in the same (sorted) order as
# counting does; an UPDATE or DELETE would lock them in scan order and could deadlock with a count.
# A reset key's window is emptied (the sweep deletes the row once it expires).
_POSTGRESQL_FORGET = """
INSERT INTO login_windows AS stored (key, entries, expires_at)
VALUES {values}
ON CONFLICT (key) DO UPDATE SET entries = CASE WHEN {reset} THEN CAST('[]' AS jsonb) ELSE COALESCE(
    (SELECT jsonb_agg(entry) FROM jsonb_array_elements(stored.entries) AS entry
      WHERE entry ->> 1 <> CAST(:attempt_id AS text)),
    CAST('[]' AS jsonb)
) END
"""
_POSTGRESQL_EMPTY = "CAST('[]' AS jsonb)"
_SQLITE_FORGET = """
INSERT INTO login_windows AS stored (key, entries, expires_at)
VALUES {values}
ON CONFLICT (key) DO UPDATE SET entries = CASE WHEN {reset} THEN '[]' ELSE (
    SELECT json_group_array(json(entry.value)) FROM json_each(stored.entries) AS entry
     WHERE json_extract(entry.value, '$[1]') <> :attempt_id
) END
"""
_SQLITE_EMPTY = "'[]'"


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{index}" for index in range(count)]


@lru_cache(maxsize=32)
def _record_statement(is_sqlite: bool, key_count: int) -> PrecompiledSelect:
    new_entries = _SQLITE_NEW_ENTRIES if is_sqlite else _POSTGRESQL_NEW_ENTRIES
    expires = ":expires_at" if is_sqlite else "CAST(:expires_at AS float8)"
    values = ", ".join(f"(:{name}, {new_entries}, {expires})" for name in _names("key_", key_count))
    template = _SQLITE_RECORD if is_sqlite else _POSTGRESQL_RECORD
    return precompiled(sa.text(template.format(values=values)))


@lru_cache(maxsize=32)
def _forget_statement(is_sqlite: bool, key_count: int, reset_count: int) -> PrecompiledSelect:
    reset = " OR ".join(f"stored.key = :{name}" for name in _names("reset_", reset_count)) or "false"
    empty = _SQLITE_EMPTY if is_sqlite else _POSTGRESQL_EMPTY
    # A window that is not there (swept meanwhile) is created empty and already expired.
    values = ", ".join(f"(:{name}, {empty}, 0)" for name in _names("key_", key_count))
    template = _SQLITE_FORGET if is_sqlite else _POSTGRESQL_FORGET
    return precompiled(sa.text(template.format(values=values, reset=reset)))


async def record_attempt(
    db: Database, keys: list[str], attempt_id: str, now: float, window: float
) -> dict[str, tuple[int, float]]:
    """Count one attempt against every key; per key the attempts in its window and the oldest one's
    time, this attempt included. One statement, committed on its own."""
    ordered = sorted(keys)
    rows = await db.fetch_all_precompiled(
        _record_statement(db.is_sqlite, len(ordered)),
        attempt_id=attempt_id,
        now=now,
        cutoff=now - window,
        expires_at=now + window,
        **dict(zip(_names("key_", len(ordered)), ordered, strict=True)),
    )
    return {row[0]: (int(row[1]), float(row[2])) for row in rows}


async def drop_expired(db: Database, now: float) -> None:
    """Delete the windows whose every entry has expired (whatever limiter counted them)."""
    await db.execute(login_windows.delete().where(login_windows.c.expires_at <= now))


async def forget(db: Database, keys: list[str], attempt_id: str, reset_keys: tuple[str, ...] = ()) -> None:
    """Uncount one attempt from ``keys``, and empty the windows of ``reset_keys``, in one statement."""
    ordered = sorted(set(keys) | set(reset_keys))
    resets = sorted(set(reset_keys))
    await db.execute_precompiled(
        _forget_statement(db.is_sqlite, len(ordered), len(resets)),
        attempt_id=attempt_id,
        **dict(zip(_names("key_", len(ordered)), ordered, strict=True)),
        **dict(zip(_names("reset_", len(resets)), resets, strict=True)),
    )
