"""Locales as the stores speak them: ``ll_CC`` (ISO 639-1 language, ISO 3166-1 alpha-2 country).

Clients may write ``de-ch`` or ``DE_CH``; everything stored and answered is canonical (``de_CH``).
A customer's locale is chosen among its store's locales: exactly, else by language, else the
store's default (RFC 4647 "lookup", one truncation step).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pycountry

__all__ = [
    "TEXT_LANGUAGES",
    "DEFAULT_TEXT_LANGUAGE",
    "text_language",
    "canonical_locale",
    "language_of",
    "language_ranges",
    "negotiate_locale",
    "resolve_locale",
]

_LOCALE = re.compile(r"([A-Za-z]{2})[-_]([A-Za-z]{2})")
_LANGUAGE_RANGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*|\*")
_QUALITY = re.compile(r"q=(0(\.[0-9]{0,3})?|1(\.0{0,3})?)", re.IGNORECASE)


def canonical_locale(value: str) -> str | None:
    """``ll_CC`` for a well-formed locale of a real language and country, else None."""
    match = _LOCALE.fullmatch(value.strip())
    if match is None:
        return None
    language, country = match.group(1).lower(), match.group(2).upper()
    if pycountry.languages.get(alpha_2=language) is None or pycountry.countries.get(alpha_2=country) is None:
        return None
    return f"{language}_{country}"


def language_of(locale: str) -> str:
    """The language part of a locale or language range, lower-case (``de_CH`` → ``de``)."""
    return locale.replace("_", "-").split("-", 1)[0].strip().lower()


# The languages our mail and text templates are written in; anything else reads English.
TEXT_LANGUAGES = ("en", "de")
DEFAULT_TEXT_LANGUAGE = "en"


def text_language(locale: str | None) -> str:
    """The language of the customer's locale when we have its texts (``de_CH`` → de), else English."""
    primary = language_of(locale or "")
    return primary if primary in TEXT_LANGUAGES else DEFAULT_TEXT_LANGUAGE


def language_ranges(accept_language: str | None) -> tuple[str, ...]:
    """The ranges of an ``Accept-Language`` value, most preferred first; malformed items and
    ``q=0`` are left out, equal qualities keep the client's order (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        language_range, *parameters = (part.strip() for part in item.split(";"))
        if not _LANGUAGE_RANGE.fullmatch(language_range):
            continue
        quality = 1.0
        for parameter in parameters:
            match = _QUALITY.fullmatch(parameter.replace(" ", ""))
            quality = float(match.group(1)) if match else -1.0
        if quality > 0:
            weighted.append((-quality, position, language_range))
    return tuple(language_range for _, _, language_range in sorted(weighted))


def negotiate_locale(locales: Sequence[str], default: str, ranges: Sequence[str]) -> str:
    """The first range that names one of ``locales`` exactly, or by its language (the first
    locale of that language); otherwise ``default``."""
    for language_range in ranges:
        exact = canonical_locale(language_range)
        if exact is not None and exact in locales:
            return exact
        language = language_of(language_range)
        for locale in locales:
            if language_of(locale) == language:
                return locale
    return default


def resolve_locale(locales: Sequence[str], default: str, stored: str | None) -> str:
    """A stored value made one of ``locales``: a legacy bare language (``de``) or another store's
    locale by its language, NULL or anything unknown by the default."""
    if stored is None or not stored.strip():
        return default
    return negotiate_locale(locales, default, (stored,))
