"""Text messages: their texts, and the transports the delivery worker hands them to (JSON files or a
signed webhook). They are queued in the outbox beside mail (``Outbox.enqueue_sms``)."""

from __future__ import annotations

from app.sms.messages import OutgoingSms, SmsKind, render_sms

__all__ = ["OutgoingSms", "SmsKind", "render_sms"]
