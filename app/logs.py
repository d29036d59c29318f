"""Logs: one JSON object per line outside a terminal, readable text in one; the request id in every
record made while serving a request; one access line per request.

The access line names the route template (``/customers/{reference}``), never the raw path: a
customer reference is personal data, and a path may carry a key. Nothing here logs a header, a
query string or a body, so no token, password or key reaches the logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from app.settings import Settings

__all__ = [
    "ACCESS_LOGGER",
    "configure_logging",
    "current_request_id",
    "incoming_request_id",
    "install_request_id_in_records",
    "log_access",
    "request_id_context",
]

ACCESS_LOGGER = "glue_customers.access"
_access_logger = logging.getLogger(ACCESS_LOGGER)

# What an upstream proxy or client may name a request: short, and nothing that could forge a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# The attributes every LogRecord has; anything else on a record was passed as ``extra``.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "request",  # ReadableFormatter's
    "color_message",  # uvicorn's message again, with terminal colour codes
}


def incoming_request_id(header: bytes | None) -> str:
    """The client's ``X-Request-Id`` when it is one we accept, else a new id."""
    if header is not None:
        candidate = header.decode("latin-1")
        if _REQUEST_ID.fullmatch(candidate):
            return candidate
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_context.get()


def install_request_id_in_records() -> None:
    """Every LogRecord created from now on carries ``request_id`` (None outside a request), whichever
    handler ends up writing it; idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "adds_request_id", False):
        return

    def record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = request_id_context.get()
        return record

    record_with_request_id.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_request_id)


def log_access(*, method: str, route: str | None, status: int, duration_ms: float, client: str) -> None:
    _access_logger.info(
        "%s %s %d %.1f ms",
        method,
        route or "-",
        status,
        duration_ms,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 3),
            "client": client,
        },
    )


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES}


class JsonLinesFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", …extra, "exception"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            **_extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ReadableFormatter(logging.Formatter):
    """``12:00:00.123 INFO  glue_customers.access [request id] GET /customers/{reference} 200 3.1 ms``."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s %(request)s%(message)s", "%H:%M:%S"
        )

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f"[{request_id}] " if request_id else ""
        return super().format(record)


def _wants_text(log_format: str, stream: TextIO) -> bool:
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return log_format == "text"


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """One handler on the root logger for the service, uvicorn and the libraries.

    uvicorn's own access log is switched off: it prints raw paths and client addresses in its own
    format; the edge writes the access line instead.
    """
    stream = stream or sys.stderr
    install_request_id_in_records()
    # Neither format shows thread or process names: no record needs to look them up.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        ReadableFormatter() if _wants_text(settings.log_format, stream) else JsonLinesFormatter()
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    uvicorn_access.disabled = True
    # These log statements with their parameters at DEBUG or INFO: never in the service's logs.
    for name in ("databases", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.WARNING)
