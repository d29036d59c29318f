"""A text to send, in the recipient's language (en, de; ``de_CH`` → de), as ``string.Template``s."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from string import Template

from app.locales import text_language

__all__ = ["SmsKind", "OutgoingSms", "render_sms", "TEXTS"]


class SmsKind(StrEnum):
    ACTIVATION_CODE = "activation-code"
    CONFIRMATION_CODE = "confirmation-code"


@dataclass(frozen=True)
class OutgoingSms:
    kind: str
    recipient: str  # E.164
    text: str


# Short enough for one GSM-7 segment with a ten-digit code and a two-digit validity.
TEXTS: dict[tuple[str, str], str] = {
    ("activation-code", "en"): "$code is your activation code. It is valid for $minutes minutes.",
    ("activation-code", "de"): "$code ist Ihr Aktivierungscode. Er ist $minutes Minuten gültig.",
    ("confirmation-code", "en"): "$code confirms your new phone number. It is valid for $minutes minutes.",
    ("confirmation-code", "de"): "$code bestätigt Ihre neue Telefonnummer. Er ist $minutes Minuten gültig.",
}


def render_sms(kind: SmsKind, recipient: str, locale: str | None, **values: str) -> OutgoingSms:
    text = Template(TEXTS[(kind.value, text_language(locale))]).substitute(values)
    return OutgoingSms(kind=kind.value, recipient=recipient, text=text)
