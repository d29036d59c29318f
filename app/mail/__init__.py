"""Mail: templates, the transactional outbox, transports (SMTP or .eml files) and the delivery worker."""

from __future__ import annotations

from app.mail.messages import MailKind, OutgoingMail, render_mail
from app.mail.outbox import Outbox

__all__ = ["MailKind", "OutgoingMail", "Outbox", "render_mail"]
