"""Phone numbers (BO §3): parsed with ``phonenumbers``, kept in E.164 (``+493012345678``).

A number without a leading ``+`` is read in the default region (``GLUE_PHONE_DEFAULT_REGION``).
"""

from __future__ import annotations

import functools

import phonenumbers

__all__ = ["InvalidPhone", "MAX_LENGTH", "normalise_phone", "is_region"]

# Longer input is refused before parsing: no valid number needs more, and parsing cost stays bounded.
MAX_LENGTH = 32


class InvalidPhone(ValueError):
    """Not a valid phone number of any region (or of the default region, without ``+``)."""


def normalise_phone(value: str, default_region: str) -> str:
    """``value`` in E.164 when it is a valid number, else InvalidPhone."""
    if len(value) > MAX_LENGTH or not value.strip():
        raise InvalidPhone(value)
    number = _e164(value, default_region)
    if number is None:
        raise InvalidPhone(value)
    return number


# Parsing is pure and costs tens of microseconds; a bulk import parses thousands of numbers.
@functools.lru_cache(maxsize=4096)
def _e164(value: str, default_region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_region(code: str) -> bool:
    """A region ``phonenumbers`` knows (ISO 3166-1 alpha-2, upper case)."""
    return code in phonenumbers.SUPPORTED_REGIONS
