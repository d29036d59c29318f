"""Field types of the loyalty resources (BO §1 numbers): two-decimal amounts such as points and
percentages, sent as a string or a number with at most two decimals, shown as strings (``"161.90"``)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields

from schemas.base import messages

__all__ = ["TwoDecimals", "Translations", "IsoDate"]

_DECIMAL = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?")


class TwoDecimals(fields.Field):
    """A decimal with at most two places within [minimum, maximum] (``exclusive_minimum``: above it)."""

    def __init__(
        self, minimum: Decimal, maximum: Decimal, *, exclusive_minimum: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive_minimum = exclusive_minimum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError("This value should be a number with at most two decimals.")
        text = value if isinstance(value, str) else repr(value)
        if not _DECIMAL.fullmatch(text):
            raise ValidationError("This value should be a number with at most two decimals.")
        number = Decimal(text)
        if self.exclusive_minimum and number <= self.minimum:
            raise ValidationError(f"This value should be greater than {self.minimum}.")
        if number < self.minimum:
            raise ValidationError(f"This value should be greater than or equal to {self.minimum}.")
        if number > self.maximum:
            raise ValidationError(f"This value should be less than or equal to {self.maximum}.")
        return number.quantize(Decimal("0.01"))

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else f"{Decimal(value):.2f}"


_LOCALE_KEY = re.compile(r"[a-z]{2}(_[A-Z]{2})?")


class Translations(fields.Field):
    """``{"de": {"name": "…"}}``: keys a language (``de``) or a locale (``de_DE``), each with a name
    of 1–100 characters."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, dict[str, str]]:
        if not isinstance(value, dict):
            raise ValidationError("This value should be of type object.")
        result: dict[str, dict[str, str]] = {}
        for key, entry in value.items():
            if not _LOCALE_KEY.fullmatch(key):
                raise ValidationError(f"{key[:16]!r} is not a language or locale code.")
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or set(entry) != {"name"}:
                raise ValidationError("Each translation should be an object with a name only.")
            if not isinstance(name, str) or not name.strip() or "\x00" in name or len(name) > 100:
                raise ValidationError("Each translated name should have between 1 and 100 characters.")
            result[key] = {"name": name}
        return result

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDate(fields.Date):
    """Exactly ``YYYY-MM-DD`` (the ISO parser alone also takes ``2026-1-5`` and other scripts' digits)."""

    default_error_messages = {"invalid": "This value is not a valid date."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)
