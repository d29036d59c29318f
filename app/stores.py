"""Stores as data: each store's code, locales, currency and time zone, and the lookup services use.

``GLUE_STORES`` is a JSON array of stores, the first the default:

    [{"code": "DE", "defaultLocale": "de_DE", "locales": ["de_DE", "en_GB"],
      "currencyIsoCode": "EUR", "timeZone": "Europe/Berlin"},
     {"code": "CH", "defaultLocale": "de_CH", "locales": ["de_CH", "fr_CH"],
      "currencyIsoCode": "CHF", "timeZone": "Europe/Zurich",
      "restorePasswordUrl": "https://shop.example.ch/password/restore"}]

Unset, there is one implicit store built from ``GLUE_STORE``, ``GLUE_CURRENCY`` and
``GLUE_TIME_ZONE``. A bad entry names the variable, the entry's index and the field.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry

from app.links import link_origin
from app.locales import canonical_locale, negotiate_locale, resolve_locale

__all__ = [
    "Store",
    "StoreCatalogue",
    "StoreProblem",
    "StoresFormatError",
    "parse_stores",
    "implicit_store",
    "store_problems",
    "code_problem",
    "currency_problem",
    "time_zone_problem",
    "minor_digits",
    "MAIL_LINK_FIELDS",
]

_CODE = re.compile(r"(?=[0-9]*[A-Z])[A-Z0-9]{1,16}")
MAX_LOCALES = 20

# ISO 4217 list one: the currencies whose minor unit is not two digits. Amounts are integers in
# minor units, so a store needs 0 or 2 digits (three-digit dinars and the four-digit units of
# account would need other arithmetic); the N.A. codes (metals, funds, testing) are no store's money.


def _codes(listed: str) -> frozenset[str]:
    return frozenset(listed.split())


_ZERO_DIGIT_CURRENCIES = _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF")
_OTHER_DIGIT_CURRENCIES = {
    **dict.fromkeys(_codes("BHD IQD JOD KWD LYD OMR TND"), 3),
    **dict.fromkeys(_codes("CLF UYW"), 4),
}
_NO_MINOR_UNIT = _codes("XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX")

# Optional per-store mail links (wire name → attribute); unset, the global settings apply.
MAIL_LINK_FIELDS = {
    "restorePasswordUrl": "restore_password_url",
    "confirmationUrl": "confirmation_url",
    "accessRequestConfirmationUrl": "access_request_confirmation_url",
    "loginUrl": "login_url",
    "emailChangeUrl": "email_change_url",
}
_FIELDS = {
    "code": "code",
    "defaultLocale": "default_locale",
    "locales": "locales",
    "currencyIsoCode": "currency_iso_code",
    "timeZone": "time_zone",
    **MAIL_LINK_FIELDS,
}
_REQUIRED = ("code", "defaultLocale", "locales", "currencyIsoCode", "timeZone")


def minor_digits(currency_iso_code: str) -> int | None:
    """Digits of the currency's minor unit per ISO 4217, None for an unknown code or one without."""
    if pycountry.currencies.get(alpha_3=currency_iso_code) is None or currency_iso_code in _NO_MINOR_UNIT:
        return None
    if currency_iso_code in _ZERO_DIGIT_CURRENCIES:
        return 0
    return _OTHER_DIGIT_CURRENCIES.get(currency_iso_code, 2)


@dataclass(frozen=True)
class Store:
    code: str
    default_locale: str
    locales: tuple[str, ...]
    currency_iso_code: str
    time_zone: str
    restore_password_url: str | None = None
    confirmation_url: str | None = None
    access_request_confirmation_url: str | None = None
    login_url: str | None = None
    email_change_url: str | None = None

    @property
    def currency_minor_digits(self) -> int:
        return minor_digits(self.currency_iso_code) or 0

    @property
    def mail_links(self) -> tuple[str, ...]:
        """The mail links this store sets (their origins join the link allow-list)."""
        return tuple(
            url for url in (getattr(self, name) for name in MAIL_LINK_FIELDS.values()) if url is not None
        )

    def locale_choice(self, requested: str) -> str | None:
        """The canonical form of ``requested`` when it is one of this store's locales, else None."""
        canonical = canonical_locale(requested)
        return canonical if canonical in self.locales else None

    def negotiate_locale(self, language_ranges: Sequence[str]) -> str:
        """The locale for a client's language preferences (exact, by language, else the default)."""
        return negotiate_locale(self.locales, self.default_locale, language_ranges)

    def resolve_locale(self, stored: str | None) -> str:
        """A stored locale as one of this store's: legacy bare languages and NULL resolved."""
        return resolve_locale(self.locales, self.default_locale, stored)


@dataclass(frozen=True)
class StoreProblem:
    """What is wrong with one field of one store entry (``field`` is the wire name)."""

    field: str
    message: str


def code_problem(code: object) -> str | None:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return f"must be 1-16 upper-case ASCII letters or digits with at least one letter, got {code!r}"
    return None


def currency_problem(currency: object) -> str | None:
    if not isinstance(currency, str) or minor_digits(currency) not in (0, 2):
        return f"must be an ISO 4217 code with 0 or 2 minor digits (EUR, CHF, JPY), got {currency!r}"
    return None


def time_zone_problem(time_zone: object) -> str | None:
    try:
        if isinstance(time_zone, str) and time_zone:
            zoneinfo.ZoneInfo(time_zone)
            return None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    return f"must be an IANA time zone name (Europe/Berlin, UTC), got {time_zone!r}"


def _locales_problem(locales: Sequence[str]) -> str | None:
    if not 1 <= len(locales) <= MAX_LOCALES:
        return f"must list 1 to {MAX_LOCALES} locales, got {len(locales)}"
    for locale in locales:
        if not isinstance(locale, str) or canonical_locale(locale) != locale:
            return f"must list ll_CC locales (ISO 639-1 _ ISO 3166-1 alpha-2, e.g. de_DE), got {locale!r}"
    if len(set(locales)) != len(locales):
        return "must not list a locale twice"
    return None


def _link_problem(url: object) -> str | None:
    if not isinstance(url, str) or link_origin(url) is None:
        return f"must be an absolute http(s) URL, got {url!r}"
    return None


def store_problems(store: Store) -> list[StoreProblem]:
    """Every rule of CB §2.1 one store breaks."""
    checks: list[tuple[str, str | None]] = [
        ("code", code_problem(store.code)),
        ("locales", _locales_problem(store.locales)),
        ("currencyIsoCode", currency_problem(store.currency_iso_code)),
        ("timeZone", time_zone_problem(store.time_zone)),
    ]
    if store.default_locale not in store.locales:
        checks.append(("defaultLocale", f"must be one of locales, got {store.default_locale!r}"))
    for wire_name, attribute in MAIL_LINK_FIELDS.items():
        url = getattr(store, attribute)
        if url is not None:
            checks.append((wire_name, _link_problem(url)))
    return [StoreProblem(name, message) for name, message in checks if message is not None]


def implicit_store(code: str, currency_iso_code: str, time_zone: str) -> Store:
    """The one store of a deployment without ``GLUE_STORES`` (CB §2.1)."""
    return Store(
        code=code,
        default_locale="de_DE",
        locales=("de_DE", "en_US"),
        currency_iso_code=currency_iso_code,
        time_zone=time_zone,
    )


class StoresFormatError(ValueError):
    """``GLUE_STORES`` is not an array of store objects; the message says where."""


def parse_stores(raw: str, variable: str) -> tuple[Store, ...]:
    """Stores from ``GLUE_STORES`` JSON. Shape errors raise ``StoresFormatError`` naming
    ``variable[index].field``; the rules of each store are checked by ``store_problems``."""
    try:
        entries = json.loads(raw)
    except ValueError as error:
        raise StoresFormatError(f"{variable} must be a JSON array of stores ({error})") from None
    if not isinstance(entries, list) or not entries:
        raise StoresFormatError(f"{variable} must be a non-empty JSON array of stores")
    return tuple(_store_from_entry(entry, f"{variable}[{index}]") for index, entry in enumerate(entries))


def _store_from_entry(entry: Any, where: str) -> Store:
    if not isinstance(entry, dict):
        raise StoresFormatError(f"{where} must be a JSON object")
    for name in entry:
        if name not in _FIELDS:
            raise StoresFormatError(f"{where}.{name} is not a store field (known: {', '.join(_FIELDS)})")
    for name in _REQUIRED:
        if name not in entry:
            raise StoresFormatError(f"{where}.{name} is missing")
    values: dict[str, Any] = {}
    for name, value in entry.items():
        if name == "locales":
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise StoresFormatError(f"{where}.locales must be an array of strings")
            # Clients may write de-ch; the configuration may too, and it is kept canonical.
            value = tuple(canonical_locale(item) or item for item in value)
        elif not isinstance(value, str):
            raise StoresFormatError(f"{where}.{name} must be a string")
        elif name == "defaultLocale":
            value = canonical_locale(value) or value
        values[_FIELDS[name]] = value
    return Store(**values)


@dataclass(frozen=True)
class StoreCatalogue:
    """The configured stores in order; the first is the default (a request without ``Store``)."""

    stores: tuple[Store, ...]
    _by_code: dict[str, Store] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {store.code: store for store in self.stores})

    @property
    def default(self) -> Store:
        return self.stores[0]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(store.code for store in self.stores)

    def find(self, code: str) -> Store | None:
        """The store of ``code`` in any letter case (``Store: ch``), else None."""
        return self._by_code.get(code.strip().upper())

    def __iter__(self) -> Iterator[Store]:
        return iter(self.stores)

    def __len__(self) -> int:
        return len(self.stores)
