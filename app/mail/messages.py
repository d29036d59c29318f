"""A mail to send: rendered from a template in the recipient's language, built as an RFC 5322 message."""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from string import Template

from app.locales import text_language
from app.mail.templates import TEMPLATES

__all__ = ["MailKind", "OutgoingMail", "render_mail", "choose_locale", "build_message", "new_message_id"]


class MailKind(StrEnum):
    RESTORE_PASSWORD = "restore-password"  # noqa: S105 - a mail kind, not a secret
    PASSWORD_CHANGED = "password-changed"  # noqa: S105
    REGISTRATION_CONFIRMATION = "registration-confirmation"
    EMAIL_CHANGE = "email-change"
    EMAIL_CHANGED = "email-changed"
    INVITATION = "invitation"
    COMPANY_USER_INVITATION = "company-user-invitation"
    COMPANY_USER_ADDED = "company-user-added"
    ACCESS_REQUEST_CONFIRMATION = "access-request-confirmation"
    ACCESS_REQUEST_OPEN = "access-request-open"
    ACCESS_REQUEST_NOTICE = "access-request-notice"
    ACCESS_REQUEST_ACCEPTED = "access-request-accepted"
    ACCESS_REQUEST_AWAITING_APPROVAL = "access-request-awaiting-approval"
    ACCESS_REQUEST_APPROVED = "access-request-approved"
    ACCESS_REQUEST_DECLINED = "access-request-declined"
    ACCESS_REQUEST_INVALID = "access-request-invalid"


@dataclass(frozen=True)
class OutgoingMail:
    kind: str
    recipient: str
    subject: str
    text: str
    html: str


def choose_locale(locale: str | None) -> str:
    """The language of the customer's locale when we have its texts (``de_CH`` → de), else English."""
    return text_language(locale)


def render_mail(kind: MailKind, recipient: str, locale: str | None, **values: str) -> OutgoingMail:
    language = choose_locale(locale)
    template = TEMPLATES[(kind.value, language)]
    subject = Template(template.subject).substitute(values)
    escaped = {name: html.escape(value) for name, value in values.items()}
    return OutgoingMail(
        kind=kind.value,
        recipient=recipient,
        subject=subject,
        text=Template(template.text).substitute(values),
        html=Template(template.html).substitute(escaped, lang=language, subject=html.escape(subject)),
    )


def new_message_id(domain: str) -> str:
    # Fixed when the mail is queued: a redelivery after a crash carries the same Message-ID.
    return f"<{uuid.uuid4().hex}@{domain}>"


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html_body: str,
    message_id: str,
    created_at: datetime,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(created_at)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html_body, subtype="html")
    return message
