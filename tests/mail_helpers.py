"""Test helpers for mail: an in-process SMTP server (aiosmtpd), reading mails, apps that deliver fast."""

from __future__ import annotations

import asyncio
import email
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from starlette.applications import Starlette

from tests.conftest import empty_tables

# Deliver at once and retry quickly, so no test sleeps long.
FAST_MAIL: dict[str, Any] = {
    "mail_poll_interval": 0.05,
    "mail_retry_base_seconds": 0.05,
    "mail_retry_max_seconds": 0.3,
    "forgotten_password_min_seconds": 0.0,
    "smtp_timeout": 2.0,
}
TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
        return "250 OK"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 in its own thread; it can be stopped and started again."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.recorder = _Recorder()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return list(self.recorder.messages)

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[SmtpServer]:
        """A started server, stopped on leaving."""
        server = cls()
        server.start()
        try:
            yield server
        finally:
            server.stop()

    async def wait_for(self, count: int, within: float = 10.0) -> list[EmailMessage]:
        """At least ``count`` messages, waiting in short steps."""
        return await _wait(lambda: self.messages, count, within)


async def _wait(read: Callable[[], list[EmailMessage]], count: int, within: float) -> list[EmailMessage]:
    deadline = time.monotonic() + within
    while True:
        found = read()
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.02)


def read_eml_files(directory: str | Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(Path(directory).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


async def wait_for_files(directory: str | Path, count: int, within: float = 10.0) -> list[EmailMessage]:
    return await _wait(lambda: read_eml_files(directory), count, within)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def link_of(message: EmailMessage) -> str:
    match = re.search(r"https?://\S+", text_of(message))
    assert match, text_of(message)
    return match.group(0)


def token_of(message: EmailMessage) -> str:
    match = TOKEN.search(link_of(message))
    assert match, link_of(message)
    return match.group(1)


def of_kind(messages: list[EmailMessage], subject_words: str) -> list[EmailMessage]:
    return [message for message in messages if subject_words in str(message["Subject"])]


@asynccontextmanager
async def running_app(
    app_factory: Callable[..., Starlette], **overrides: Any
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """An app with fast mail settings (plus ``overrides``), its lifespan running, tables empty.

    The tables are emptied before the app's delivery worker starts, so no mail an earlier test left
    in the outbox reaches this test's server or directory.
    """
    application = app_factory(**{**FAST_MAIL, **overrides})
    db = application.state.services.db
    await db.connect()
    try:
        await empty_tables(application)
    finally:
        await db.disconnect()
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield application, client
