"""One frozen settings object, read from the environment once at start.

Every variable carries the ``GLUE_`` prefix. A bad value stops the start with a message naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["Settings", "SettingsError", "PREFIX"]

PREFIX = "GLUE_"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _default_database_url() -> str:
    return f"sqlite:///{Path('var/glue-customers.sqlite3').absolute()}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    # Public base URL for absolute self links; empty = the request's own scheme and host.
    public_base_url: str = ""
    store: str = "DE"
    access_token_ttl: int = 28800
    refresh_token_ttl: int = 30 * 24 * 3600
    jwt_private_key_path: str = "var/jwt-private.pem"
    jwt_issuer: str = "glue-customers"
    jwt_audience: str = "glue-storefront"
    # OAuth client ids accepted by /token; empty = any public client (client_id is optional).
    oauth_client_ids: tuple[str, ...] = ()
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # argon2id computations a process runs at once; the rest wait as coroutines. 0 = one per core.
    # With several workers per machine, cores / workers keeps the total at one per core.
    argon2_max_concurrent: int = 0
    password_min_length: int = 8
    body_limit: int = 1024 * 1024
    # Seconds a request waits for a database connection before answering 503 (code 018).
    database_timeout: float = 5.0
    database_pool_size: int = 10
    # Login limiter (code 4401): failed logins per account and per client address in a sliding window.
    login_limit_per_account: int = 5
    login_limit_per_address: int = 50
    login_limit_window: int = 900
    # Where the limiter keeps its counts: empty = the database; a redis:// URL = Redis.
    redis_url: str = ""
    redis_key_prefix: str = "glue-customers:"
    # Socket addresses of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.store.isalnum() or not self.store.isupper():
            raise SettingsError(f"{PREFIX}STORE must be upper-case letters or digits, got {self.store!r}")
        if not (self.database_url.startswith("sqlite") or self.database_url.startswith("postgres")):
            raise SettingsError(f"{PREFIX}DATABASE_URL must be a sqlite:// or postgresql:// URL")
        for name in (
            "access_token_ttl",
            "refresh_token_ttl",
            "argon2_time_cost",
            "argon2_parallelism",
            "body_limit",
            "database_pool_size",
            "login_limit_per_account",
            "login_limit_per_address",
            "login_limit_window",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.argon2_max_concurrent < 0:
            raise SettingsError(f"{PREFIX}ARGON2_MAX_CONCURRENT must be 0 (one per core) or positive")
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise SettingsError(f"{PREFIX}ARGON2_MEMORY_KIB must be at least 8 x parallelism")
        if not 1 <= self.password_min_length <= 128:
            raise SettingsError(f"{PREFIX}PASSWORD_MIN_LENGTH must be between 1 and 128")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"{PREFIX}REDIS_URL must be a redis://, rediss:// or unix:// URL")
        if self.public_base_url and not self.public_base_url.startswith(("http://", "https://")):
            raise SettingsError(f"{PREFIX}PUBLIC_BASE_URL must be an http(s) URL")

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``GLUE_*`` variables; unknown ``GLUE_*`` names are refused."""
        environ = os.environ if environ is None else environ
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in environ.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in known:
                raise SettingsError(f"{key} is not a known setting")
            values[name] = _parse(key, raw, known[name].type)
        return cls(**values)


def _parse(key: str, raw: str, annotation: object) -> Any:
    kind = str(annotation)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return lowered in {"1", "true", "yes", "on"}
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError:
        raise SettingsError(f"{key} has an invalid value {raw!r} (expected {kind})") from None
    return raw
