"""One frozen settings object, read from the environment once at start.

Every variable carries the ``GLUE_`` prefix. A bad value stops the start with a message naming it.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.links import is_base_url, link_origin
from app.phones import is_region
from app.stores import (
    Store,
    StoreCatalogue,
    StoresFormatError,
    code_problem,
    currency_problem,
    implicit_store,
    parse_stores,
    store_problems,
    time_zone_problem,
)

__all__ = [
    "ACTIVATION_METHODS",
    "Settings",
    "SettingsError",
    "PREFIX",
    "SMTP_SCHEMES",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "JWT_ALGORITHMS",
    "FACES",
    "link_origin",
]

PREFIX = "GLUE_"
SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
LOG_FORMATS = ("auto", "json", "text")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
METRICS_TOKEN_MIN_LENGTH = 16
JWT_ALGORITHMS = ("RS256", "ES256")
FACES = ("storefront", "backoffice")
ACTIVATION_METHODS = ("email", "sms")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _default_database_url() -> str:
    return f"sqlite:///{Path('var/glue-customers.sqlite3').absolute()}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    # Public base URL for absolute self links; empty = the request's own scheme and host.
    public_base_url: str = ""
    # The stores (CB §2.1), the first the default; empty = one implicit store described by
    # store, currency and time_zone, which are refused beside GLUE_STORES.
    stores: tuple[Store, ...] = ()
    store: str = "DE"
    currency: str = "EUR"
    time_zone: str = "UTC"
    access_token_ttl: int = 28800
    refresh_token_ttl: int = 30 * 24 * 3600
    jwt_private_key_path: str = "var/jwt-private.pem"
    # The OAuth issuer (RFC 8414 metadata ``issuer`` = the tokens' ``iss``): an http(s) URL without
    # query or fragment. Empty = the public base URL, else the base URL each request was sent to.
    jwt_issuer: str = ""
    jwt_audience: str = "glue-storefront"
    # RS256 (default, verified everywhere) or ES256 (signs ~9x faster, verifies ~2x slower); the key
    # file must hold a key of that kind (RSA, or EC P-256), created so on first start.
    jwt_algorithm: str = "RS256"
    # OAuth client ids accepted by /token; empty = any public client (client_id is optional).
    oauth_client_ids: tuple[str, ...] = ()
    # The access tokens' ``client_id`` claim (RFC 9068) when the client names none (/access-tokens).
    oauth_default_client_id: str = "storefront"
    # Browser origins (scheme://host[:port]) allowed to call the API cross-origin; empty = no CORS.
    cors_origins: tuple[str, ...] = ()
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # argon2id computations a process runs at once; the rest wait as coroutines. 0 = one per core.
    # With several workers per machine, cores / workers keeps the total at one per core.
    argon2_max_concurrent: int = 0
    # argon2id computations a process lets wait for a thread; one more is answered 503 (code 018)
    # with Retry-After. 64 at the default cost is about 1.2 s of work per thread: past that a client
    # is better told to come back than kept waiting while the wait only grows.
    argon2_queue_limit: int = 64
    # OS scheduling priority of the argon2 threads (Linux nice, 0-19; 0 = same as the event loop).
    # Above 0 the event loop wins the CPU, so other requests stay fast while logins saturate it.
    argon2_nice: int = 10
    password_min_length: int = 8
    body_limit: int = 1024 * 1024
    # Avatars (PUT …/avatar, whose body limit is avatar_max_bytes + 64 KiB of multipart framing):
    # the largest upload, the most pixels decoded, the longest side kept (larger ones scale down).
    avatar_max_bytes: int = 2 * 1024 * 1024
    avatar_max_pixels: int = 40_000_000
    avatar_max_dimension: int = 1024
    # Push tokens a customer keeps; one more drops the oldest.
    push_tokens_per_customer: int = 20
    # Seconds a request waits for a database connection before answering 503 (code 018).
    database_timeout: float = 5.0
    database_pool_size: int = 10
    # Login limiter (code 4401): failed logins per account and per client address in a sliding window.
    login_limit_per_account: int = 5
    login_limit_per_address: int = 50
    login_limit_window: int = 900
    # Forgotten-password requests per e-mail and per client address in a sliding window; over the
    # limit the answer is still 204 but nothing is sent (mail flooding, without an enumeration oracle).
    forgotten_password_limit_per_email: int = 3
    forgotten_password_limit_per_address: int = 20
    forgotten_password_limit_window: int = 3600
    # Where the limiter keeps its counts: empty = the database; a redis:// URL = Redis.
    redis_url: str = ""
    redis_key_prefix: str = "glue-customers:"
    # Addresses and CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
    # believed (uvicorn's forwarded_allow_ips); empty: none, not even loopback.
    trusted_proxies: tuple[str, ...] = ()
    # Logs: "auto" is readable text when stderr is a terminal and JSON lines otherwise.
    log_format: str = "auto"
    log_level: str = "info"
    # GET /metrics answers loopback clients, and others presenting this token as a bearer token;
    # metrics_public opens it to everyone (a network that only the scraper reaches).
    metrics_token: str = field(default="", repr=False)
    metrics_public: bool = False
    # Passwords and mail (spec §5). Restore keys live this many seconds; a newer key supersedes older ones.
    restore_key_ttl: int = 2 * 3600
    # A back-office invitation (BO §4.2): a restore key mailed to a new customer, valid this long.
    invitation_key_ttl: int = 7 * 24 * 3600
    # Where the mailed links point: ``{url}?token={key}``.
    restore_password_url: str = "http://localhost:3000/password/restore"  # noqa: S105 - a URL
    confirmation_url: str = "http://localhost:3000/register/confirm"
    # Origins a client may name in ``confirmationBaseUrl``, besides those of the two URLs above.
    allowed_link_origins: tuple[str, ...] = ()
    # Double opt-in: registration mails a key, and login is refused until it comes back.
    confirmation_required: bool = False
    # The region (ISO 3166-1 alpha-2) of phone numbers given without a leading + (BO §3).
    phone_default_region: str = "DE"
    # A forgotten-password request answers no sooner than this, known e-mail or not (anti-enumeration).
    forgotten_password_min_seconds: float = 0.2
    # Shifts "now" for key expiry checks; a test and drill aid, 0 in production.
    clock_offset_seconds: float = 0.0
    # SMTP when set: smtp://[user:password@]host[:port] (STARTTLS when the server offers it),
    # smtp+starttls://… (STARTTLS required) or smtps://… (TLS from the first byte).
    # Empty: every mail is written as an .eml file under mail_directory.
    smtp_url: str = field(default="", repr=False)  # may carry credentials
    smtp_timeout: float = 10.0
    smtp_validate_certs: bool = True
    mail_sender: str = "Glue Customers <no-reply@localhost>"
    mail_directory: str = "var/mail"
    # The delivery worker: started with the app unless disabled (``python -m app.mail.worker`` runs
    # it on its own). Failed deliveries are retried after base x 2^(attempt-1) seconds, capped.
    mail_worker_enabled: bool = True
    mail_poll_interval: float = 1.0
    mail_batch_size: int = 20
    mail_retry_base_seconds: float = 5.0
    mail_retry_max_seconds: float = 600.0
    mail_max_attempts: int = 30
    # The same worker's jobs beside delivery (BO §6): points expiry so far.
    jobs_worker_enabled: bool = True
    # Text messages share the outbox, the worker and its retries. Without a webhook each text is a
    # JSON file under sms_directory; with one (https, or http to a loopback host) a signed POST.
    sms_directory: str = "var/sms"
    sms_webhook_url: str = ""
    sms_webhook_secret: str = field(default="", repr=False)
    sms_webhook_timeout: float = 10.0
    # One-time codes sent by text: digits, validity, wrong tries before a code dies, resend interval.
    sms_code_length: int = 6
    sms_code_ttl: int = 1800
    sms_code_max_attempts: int = 5
    sms_resend_interval: int = 120
    # How a pending self-registrant proves itself (BO §4.2): a mailed key ("email") or a texted code
    # ("sms", which also makes the phone required, unerasable and a login username).
    activation_method: str = "email"
    # Wrong or unknown activation and confirmation codes per client address in a sliding window (1017).
    code_attempt_limit_per_address: int = 30
    code_attempt_window: int = 900
    # A storefront change of the e-mail (or, under sms, the phone) waits for its confirmation: the
    # new address is mailed a key linking to email_change_url (a store may name its own), valid
    # credential_change_ttl seconds, or the new phone texted a code.
    credential_change_confirmation: bool = False
    credential_change_ttl: int = 86400
    email_change_url: str = "http://localhost:3000/account/confirm-email"
    # The faces this process serves (BO §1); the service endpoints and /.well-known/* always.
    faces: tuple[str, ...] = FACES
    # Back-office tokens (BO §2): their own audience, so neither face takes the other's tokens.
    backoffice_jwt_audience: str = "glue-backoffice"
    backoffice_access_token_ttl: int = 900
    backoffice_refresh_token_ttl: int = 43200
    operator_password_min_length: int = 12
    # Operators' TOTP (BO §2.1): required, a password alone opens an enrolment-only session; the key
    # (base64, at least 32 random bytes) the secrets are encrypted under, unset: a random one kept in
    # operator-mfa.key beside the JWT signing key (var/ by default). A new key voids enrolments.
    operator_mfa_required: bool = False
    operator_mfa_key: str = field(default="", repr=False)
    # Audit entries are kept this many days (0 = for ever).
    audit_retention_days: int = 365
    # Orders per ``order-batches`` request (CB §10; the body limit still applies).
    order_batch_max: int = 500
    # The back-office search (BO §4.5): how deep offset paging goes (page[offset] + page[limit]), and
    # up to which number meta.total is counted exactly (beyond it: the planner's estimate).
    search_max_offset: int = 10000
    search_exact_count_limit: int = 10000
    # Bulk import (BO §4.7): the upload's body limit, its most rows, the rows the jobs worker commits
    # at once, and how many days a finished job and its row results are kept.
    import_body_limit: int = 64 * 1024 * 1024
    import_max_rows: int = 500000
    import_batch_size: int = 500
    import_retention_days: int = 30
    # B2B (CB §4.4, §10): the login link the mail to a linked existing customer carries.
    login_url: str = "http://localhost:3000/login"
    # Access requests (CB §5, §10): the confirmation link, its key's lifetime, the operators told
    # of a confirmed request, and submissions per client address and per e-mail in a window.
    access_request_confirmation_url: str = "http://localhost:3000/access-request/confirm"
    access_request_key_ttl: int = 48 * 3600
    access_request_notify: tuple[str, ...] = ()
    access_request_limit_per_address: int = 10
    access_request_limit_per_email: int = 3
    access_request_limit_window: int = 3600

    def __post_init__(self) -> None:
        self._check_stores()
        if not (self.database_url.startswith("sqlite") or self.database_url.startswith("postgres")):
            raise SettingsError(f"{PREFIX}DATABASE_URL must be a sqlite:// or postgresql:// URL")
        for name in (
            "access_token_ttl",
            "refresh_token_ttl",
            "argon2_time_cost",
            "argon2_parallelism",
            "body_limit",
            "avatar_max_bytes",
            "avatar_max_pixels",
            "avatar_max_dimension",
            "push_tokens_per_customer",
            "database_pool_size",
            "login_limit_per_account",
            "login_limit_per_address",
            "login_limit_window",
            "forgotten_password_limit_per_email",
            "forgotten_password_limit_per_address",
            "forgotten_password_limit_window",
            "access_request_key_ttl",
            "access_request_limit_per_address",
            "access_request_limit_per_email",
            "access_request_limit_window",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.argon2_max_concurrent < 0:
            raise SettingsError(f"{PREFIX}ARGON2_MAX_CONCURRENT must be 0 (one per core) or positive")
        if self.jwt_algorithm not in JWT_ALGORITHMS:
            raise SettingsError(f"{PREFIX}JWT_ALGORITHM must be one of {', '.join(JWT_ALGORITHMS)}")
        if self.argon2_queue_limit < 1:
            raise SettingsError(f"{PREFIX}ARGON2_QUEUE_LIMIT must be positive")
        if not 0 <= self.argon2_nice <= 19:
            raise SettingsError(f"{PREFIX}ARGON2_NICE must be between 0 and 19")
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise SettingsError(f"{PREFIX}ARGON2_MEMORY_KIB must be at least 8 x parallelism")
        if not 1 <= self.password_min_length <= 128:
            raise SettingsError(f"{PREFIX}PASSWORD_MIN_LENGTH must be between 1 and 128")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"{PREFIX}REDIS_URL must be a redis://, rediss:// or unix:// URL")
        for name in ("public_base_url", "jwt_issuer"):
            if getattr(self, name) and not is_base_url(getattr(self, name)):
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must be an http(s) URL with a host and without query or "
                    f"fragment, such as https://shop.example, got {getattr(self, name)!r}"
                )
        if (
            not self.oauth_default_client_id
            or not self.oauth_default_client_id.isprintable()
            or any(character.isspace() for character in self.oauth_default_client_id)
        ):
            raise SettingsError(f"{PREFIX}OAUTH_DEFAULT_CLIENT_ID must be a client id without spaces")
        for origin in self.cors_origins:
            if origin == "*" or link_origin(origin) != origin.lower():
                raise SettingsError(
                    f"{PREFIX}CORS_ORIGINS must list exact origins such as https://shop.example "
                    f"(scheme, host and port only, no trailing slash), got {origin!r}"
                )
        if not 1 <= self.order_batch_max <= 1000:
            raise SettingsError(f"{PREFIX}ORDER_BATCH_MAX must be between 1 and 1000")
        self._check_mail()
        object.__setattr__(self, "phone_default_region", self.phone_default_region.strip().upper())
        if not is_region(self.phone_default_region):
            raise SettingsError(
                f"{PREFIX}PHONE_DEFAULT_REGION must be a region code such as DE or CH, "
                f"got {self.phone_default_region!r}"
            )
        self._check_operations()
        self._check_backoffice()

    def _check_backoffice(self) -> None:
        if (
            not self.faces
            or any(face not in FACES for face in self.faces)
            or len(set(self.faces)) != len(self.faces)
        ):
            raise SettingsError(f"{PREFIX}FACES must list one or both of {', '.join(FACES)}")
        for name in ("backoffice_access_token_ttl", "backoffice_refresh_token_ttl"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if not self.backoffice_jwt_audience or self.backoffice_jwt_audience == self.jwt_audience:
            raise SettingsError(
                f"{PREFIX}BACKOFFICE_JWT_AUDIENCE must be set and differ from {PREFIX}JWT_AUDIENCE"
            )
        if not 1 <= self.operator_password_min_length <= 128:
            raise SettingsError(f"{PREFIX}OPERATOR_PASSWORD_MIN_LENGTH must be between 1 and 128")
        if self.operator_mfa_key and not _is_mfa_key(self.operator_mfa_key):
            raise SettingsError(f"{PREFIX}OPERATOR_MFA_KEY must be base64 of at least 32 bytes")
        if self.audit_retention_days < 0:
            raise SettingsError(f"{PREFIX}AUDIT_RETENTION_DAYS must be 0 (for ever) or positive")
        for name in (
            "search_max_offset",
            "search_exact_count_limit",
            "import_body_limit",
            "import_max_rows",
            "import_batch_size",
            "import_retention_days",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.import_batch_size > 10000:
            raise SettingsError(f"{PREFIX}IMPORT_BATCH_SIZE must be between 1 and 10000")

    def _check_operations(self) -> None:
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise SettingsError(
                    f"{PREFIX}TRUSTED_PROXIES must list IP addresses or CIDR ranges, got {entry!r}"
                ) from None
        if self.log_format.lower() not in LOG_FORMATS:
            raise SettingsError(f"{PREFIX}LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
        if self.log_level.lower() not in LOG_LEVELS:
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        # Either letter case in the environment; one spelling from here on.
        object.__setattr__(self, "log_format", self.log_format.lower())
        object.__setattr__(self, "log_level", self.log_level.lower())
        if self.metrics_token and (
            len(self.metrics_token) < METRICS_TOKEN_MIN_LENGTH
            or not self.metrics_token.isprintable()
            or any(character.isspace() for character in self.metrics_token)
        ):
            raise SettingsError(
                f"{PREFIX}METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters without spaces"
            )

    def _check_stores(self) -> None:
        implicit = {"store": "DE", "currency": "EUR", "time_zone": "UTC"}
        if not self.stores:
            for name, problem in (
                ("store", code_problem(self.store)),
                ("currency", currency_problem(self.currency)),
                ("time_zone", time_zone_problem(self.time_zone)),
            ):
                if problem:
                    raise SettingsError(f"{PREFIX}{name.upper()} {problem}")
            return
        if any(getattr(self, name) != default for name, default in implicit.items()):
            raise SettingsError(_IMPLICIT_STORE_REFUSED)
        seen: set[str] = set()
        for index, store in enumerate(self.stores):
            problems = store_problems(store)
            if problems:
                raise SettingsError(f"{PREFIX}STORES[{index}].{problems[0].field} {problems[0].message}")
            if store.code in seen:
                raise SettingsError(f"{PREFIX}STORES[{index}].code {store.code!r} is listed twice")
            seen.add(store.code)

    @cached_property
    def store_catalogue(self) -> StoreCatalogue:
        """The configured stores, or the one implicit store."""
        if self.stores:
            return StoreCatalogue(self.stores)
        return StoreCatalogue((implicit_store(self.store, self.currency, self.time_zone),))

    def _check_mail(self) -> None:
        for name in ("restore_key_ttl", "invitation_key_ttl", "mail_batch_size", "mail_max_attempts"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        for name in ("smtp_timeout", "mail_poll_interval", "mail_retry_base_seconds"):
            if not getattr(self, name) > 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.mail_retry_max_seconds < self.mail_retry_base_seconds:
            raise SettingsError(f"{PREFIX}MAIL_RETRY_MAX_SECONDS must be at least MAIL_RETRY_BASE_SECONDS")
        if not self.forgotten_password_min_seconds >= 0:
            raise SettingsError(f"{PREFIX}FORGOTTEN_PASSWORD_MIN_SECONDS must not be negative")
        for name in (
            "restore_password_url",
            "confirmation_url",
            "email_change_url",
            "login_url",
            "access_request_confirmation_url",
        ):
            if link_origin(getattr(self, name)) is None:
                raise SettingsError(f"{PREFIX}{name.upper()} must be an absolute http(s) URL")
        for origin in self.allowed_link_origins:
            if link_origin(origin) != origin.rstrip("/").lower():
                raise SettingsError(
                    f"{PREFIX}ALLOWED_LINK_ORIGINS must list origins such as https://shop.example, "
                    f"got {origin!r}"
                )
        if self.smtp_url:
            parts = urlsplit(self.smtp_url)
            if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
                raise SettingsError(
                    f"{PREFIX}SMTP_URL must be smtp://, smtp+starttls:// or smtps:// with a host"
                )
            try:
                parts.port  # noqa: B018 - urlsplit checks the port only when asked
            except ValueError:
                raise SettingsError(f"{PREFIX}SMTP_URL has an invalid port") from None
        if "@" not in parseaddr(self.mail_sender)[1]:
            raise SettingsError(f"{PREFIX}MAIL_SENDER must be an e-mail address, optionally with a name")
        if not 4 <= self.sms_code_length <= 10:
            raise SettingsError(f"{PREFIX}SMS_CODE_LENGTH must be between 4 and 10")
        for name in ("sms_code_ttl", "sms_code_max_attempts"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        if self.sms_resend_interval < 0:
            raise SettingsError(f"{PREFIX}SMS_RESEND_INTERVAL must not be negative")
        if not self.sms_webhook_timeout > 0:
            raise SettingsError(f"{PREFIX}SMS_WEBHOOK_TIMEOUT must be positive")
        if self.sms_webhook_url and not _is_webhook_url(self.sms_webhook_url):
            raise SettingsError(
                f"{PREFIX}SMS_WEBHOOK_URL must be an https:// URL, or http:// to a loopback host, "
                f"without credentials or fragment, got {self.sms_webhook_url!r}"
            )
        if self.sms_webhook_secret and not self.sms_webhook_url:
            raise SettingsError(f"{PREFIX}SMS_WEBHOOK_SECRET needs {PREFIX}SMS_WEBHOOK_URL")
        if self.activation_method not in ACTIVATION_METHODS:
            raise SettingsError(f"{PREFIX}ACTIVATION_METHOD must be one of {', '.join(ACTIVATION_METHODS)}")
        for name in ("code_attempt_limit_per_address", "code_attempt_window", "credential_change_ttl"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")

    @property
    def link_origins(self) -> frozenset[str]:
        """Origins a mailed link may point to: the allow-list and the configured defaults."""
        defaults = {
            link_origin(self.restore_password_url),
            link_origin(self.confirmation_url),
            link_origin(self.access_request_confirmation_url),
        }
        defaults.update(link_origin(url) for store in self.stores for url in store.mail_links)
        return frozenset({origin.rstrip("/").lower() for origin in self.allowed_link_origins}) | {
            origin for origin in defaults if origin
        }

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
        if "stores" in values and {"store", "currency", "time_zone"} & set(values):
            raise SettingsError(_IMPLICIT_STORE_REFUSED)
        return cls(**values)


def _is_mfa_key(text: str) -> bool:
    try:
        return len(base64.b64decode(text.strip(), validate=True)) >= 32
    except (ValueError, binascii.Error):
        return False


def _is_webhook_url(url: str) -> bool:
    """https anywhere; plain http only to this machine (texts carry codes)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


_IMPLICIT_STORE_REFUSED = (
    f"{PREFIX}STORE, {PREFIX}CURRENCY and {PREFIX}TIME_ZONE describe the implicit store only and are "
    f"refused beside {PREFIX}STORES: give each store its code, currencyIsoCode and timeZone there"
)


def _parse(key: str, raw: str, annotation: object) -> Any:
    kind = str(annotation)
    if key == f"{PREFIX}STORES":
        try:
            return parse_stores(raw, key)
        except StoresFormatError as error:
            raise SettingsError(str(error)) from None
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
