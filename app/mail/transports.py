"""Transports: SMTP (aiosmtplib) when an SMTP URL is configured, else RFC 5322 ``.eml`` files."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import anyio.to_thread

from app.settings import Settings

__all__ = ["Delivery", "Transport", "FileTransport", "SmtpTransport", "SmtpOptions", "transport_for"]


@dataclass(frozen=True)
class Delivery:
    kind: str
    created_at: datetime
    message: EmailMessage


class Transport(Protocol):
    async def deliver(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        """Send each message; per message None when accepted, else the reason it was not."""
        ...


class FileTransport:
    """Writes each message to ``{directory}/{time}-{kind}-{id}.eml`` (CRLF, as on the wire).

    The name derives from the Message-ID, so a redelivery overwrites instead of duplicating.
    """

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    async def deliver(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        results: list[str | None] = []
        for delivery in deliveries:
            try:
                await anyio.to_thread.run_sync(self._write, delivery)
                results.append(None)
            except OSError as error:
                results.append(f"cannot write mail file: {error}")
        return results

    def file_name(self, delivery: Delivery) -> str:
        local_part = re.sub(r"[^A-Za-z0-9]", "", str(delivery.message["Message-ID"]).split("@")[0])
        return f"{delivery.created_at:%Y%m%dT%H%M%S}-{delivery.kind}-{local_part[:12]}.eml"

    def _write(self, delivery: Delivery) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        content = delivery.message.as_bytes(policy=policy.SMTP)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".mail-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            os.replace(temporary, self.directory / self.file_name(delivery))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


@dataclass(frozen=True)
class SmtpOptions:
    hostname: str
    port: int | None
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None  # None: upgrade when the server offers STARTTLS

    @classmethod
    def from_url(cls, url: str) -> SmtpOptions:
        parts = urlsplit(url)
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=True if parts.scheme == "smtp+starttls" else None if parts.scheme == "smtp" else False,
        )


class SmtpTransport:
    """One connection per batch; each message is accepted or refused on its own."""

    def __init__(self, settings: Settings) -> None:
        self.options = SmtpOptions.from_url(settings.smtp_url)
        self._timeout = settings.smtp_timeout
        self._validate_certs = settings.smtp_validate_certs

    async def deliver(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        client = aiosmtplib.SMTP(
            hostname=self.options.hostname,
            port=self.options.port,
            username=self.options.username,
            password=self.options.password,
            use_tls=self.options.use_tls,
            start_tls=self.options.start_tls,
            validate_certs=self._validate_certs,
            timeout=self._timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            reason = f"SMTP server unavailable: {error!r}"
            return [reason for _ in deliveries]
        results: list[str | None] = []
        try:
            for delivery in deliveries:
                try:
                    await asyncio.wait_for(client.send_message(delivery.message), self._timeout)
                    results.append(None)
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                    results.append(f"SMTP refused: {error!r}")
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
        return results


def transport_for(settings: Settings) -> Transport:
    return SmtpTransport(settings) if settings.smtp_url else FileTransport(settings.mail_directory)
