"""Where texts go: one JSON file per text (the embedded default), or a POST to a webhook.

The document is the same either way: ``{"messageId", "to", "text", "kind"}``, ``messageId`` fixed when
the text was queued, so a receiver can drop a redelivery. The webhook's answer decides the outcome:
2xx sent; 408, 429, 5xx, a timeout or a broken connection retried; any other answer given up at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import anyio.to_thread

from app.settings import Settings
from app.version import VERSION

__all__ = [
    "Text",
    "Rejected",
    "SmsTransport",
    "SmsFileTransport",
    "SmsWebhookTransport",
    "SIGNATURE_HEADER",
    "sms_transport_for",
    "signature",
]

SIGNATURE_HEADER = "X-Glue-Signature"
_RETRIED_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Text:
    message_id: str
    kind: str
    recipient: str
    text: str
    created_at: datetime

    def document(self) -> bytes:
        body = {"messageId": self.message_id, "to": self.recipient, "text": self.text, "kind": self.kind}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Rejected:
    """A permanent refusal: the text is given up without further attempts."""

    reason: str


class SmsTransport(Protocol):
    async def deliver(self, texts: Sequence[Text]) -> list[str | Rejected | None]:
        """Per text: None when accepted, a reason to retry, or ``Rejected``."""
        ...

    async def close(self) -> None: ...


def signature(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the exact body under the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SmsFileTransport:
    """``{directory}/{time}-{kind}-{id}.json``, readable by the owner only; a redelivery overwrites."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    async def deliver(self, texts: Sequence[Text]) -> list[str | Rejected | None]:
        results: list[str | Rejected | None] = []
        for text in texts:
            try:
                await anyio.to_thread.run_sync(self._write, text)
                results.append(None)
            except OSError as error:
                results.append(f"cannot write text file: {error}")
        return results

    async def close(self) -> None:
        return None

    def file_name(self, text: Text) -> str:
        local_part = re.sub(r"[^A-Za-z0-9]", "", text.message_id)
        return f"{text.created_at:%Y%m%dT%H%M%S}-{text.kind}-{local_part[:12]}.json"

    def _write(self, text: Text) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file with mode 0600: a text carries a code.
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".sms-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(text.document())
            os.replace(temporary, self.directory / self.file_name(text))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class SmsWebhookTransport:
    """One POST per text over one keep-alive client, signed when a secret is set."""

    def __init__(self, url: str, secret: str, timeout: float) -> None:
        import httpx  # only where the webhook is configured: the files channel needs none of it

        self.url = url
        self._secret = secret
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": f"glue-customers/{VERSION}"}
        )

    async def deliver(self, texts: Sequence[Text]) -> list[str | Rejected | None]:
        return [await self._post(text) for text in texts]

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, text: Text) -> str | Rejected | None:
        import httpx

        body = text.document()
        headers = {"Content-Type": "application/json"}
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        try:
            response = await self._client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return "SMS webhook timed out"
        except httpx.HTTPError as error:
            return f"SMS webhook unreachable: {error!r}"
        if response.is_success:
            return None
        reason = f"SMS webhook answered {response.status_code}"
        if response.status_code in _RETRIED_STATUSES or response.status_code >= 500:
            return reason
        return Rejected(reason)


def sms_transport_for(settings: Settings) -> SmsTransport:
    if settings.sms_webhook_url:
        return SmsWebhookTransport(
            settings.sms_webhook_url, settings.sms_webhook_secret, settings.sms_webhook_timeout
        )
    return SmsFileTransport(settings.sms_directory)
