"""The base schema: camelCase attribute names, absolute self links, familiar validation messages."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields, validate
from marshmallow_jsonapi import Schema

from app.emails import InvalidEmail, normalise_email
from app.models import Company

__all__ = [
    "BLANK",
    "ResourceSchema",
    "CustomerCollectionSchema",
    "camel_case",
    "messages",
    "NotBlank",
    "Length",
    "OneOf",
    "TrimmedEmail",
    "PastDate",
    "String",
    "Boolean",
    "CompanyField",
]


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


BLANK = "This value should not be blank."

messages = {
    "required": "This field is missing.",
    "null": BLANK,
}


class NoNulCharacter(validate.Validator):
    """U+0000 is valid JSON but no text column stores it (PostgreSQL refuses it outright)."""

    def __call__(self, value: str) -> str:
        if "\x00" in value:
            raise ValidationError("This value should not contain the NUL character.")
        return value


def String(**kwargs: Any) -> fields.String:  # noqa: N802 - a field factory reads like a field class
    validators = kwargs.pop("validate", None) or []
    if not isinstance(validators, list):
        validators = [validators]
    return fields.String(
        error_messages={**messages, "invalid": "This value should be of type string."},
        validate=[NoNulCharacter(), *validators],
        **kwargs,
    )


class _JsonBoolean(fields.Boolean):
    """Only JSON ``true`` and ``false``: 0 and 1 equal False and True in Python, but are numbers."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def Boolean(**kwargs: Any) -> fields.Boolean:  # noqa: N802
    return _JsonBoolean(
        error_messages={**messages, "invalid": "This value should be of type bool."}, **kwargs
    )


class CompanyField(fields.Field):
    """``{"name": 1-255, "taxId": 1-64}`` or null (BO §3 company); a part missing is 901 at its own
    pointer (``/data/attributes/company/taxId``)."""

    default_error_messages = {**messages, "invalid": "This value should be of type object."}
    _PARTS = (("name", "name", 255), ("taxId", "tax_id", 64))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Company:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        problems: dict[str, list[str]] = {}
        parts: dict[str, str] = {}
        for wire, name, maximum in self._PARTS:
            part = value.get(wire)
            if wire not in value:
                problems[wire] = [messages["required"]]
            elif not isinstance(part, str):
                problems[wire] = [BLANK if part is None else "This value should be of type string."]
            elif not part.strip():
                problems[wire] = [BLANK]
            elif "\x00" in part:
                problems[wire] = ["This value should not contain the NUL character."]
            elif len(part) > maximum:
                problems[wire] = [_Length.message_max.format(max=maximum)]
            else:
                parts[name] = part
        if problems:
            raise ValidationError(problems)
        return Company(**parts)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return {"name": value.name, "taxId": value.tax_id}


class NotBlank(validate.Validator):
    def __call__(self, value: str) -> str:
        if not value.strip():
            raise ValidationError(BLANK)
        return value


class _Length(validate.Length):
    message_min = "This value is too short. It should have {min} characters or more."
    message_max = "This value is too long. It should have {max} characters or less."
    message_all = "This value should have between {min} and {max} characters."


def Length(minimum: int | None = None, maximum: int | None = None) -> validate.Length:  # noqa: N802
    return _Length(min=minimum, max=maximum)


class _OneOf(validate.OneOf):
    """A choice; a blank value is reported as blank, not as a wrong choice."""

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValidationError(BLANK)
        return super().__call__(value)


def OneOf(choices: tuple[str, ...]) -> validate.OneOf:  # noqa: N802
    return _OneOf(choices, error="The value you selected is not a valid choice.")


class TrimmedEmail(fields.String):
    """An e-mail address in its normal form (``app.emails``); blank is "should not be blank"."""

    default_error_messages = {"invalid": "This value is not a valid email address."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if not value.strip():
            raise ValidationError(BLANK)
        try:
            return normalise_email(value)
        except InvalidEmail:
            raise self.make_error("invalid") from None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PastDate(fields.Date):
    default_error_messages = {"invalid": "This value is not a valid date."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(error_messages=dict(messages), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        # Exactly YYYY-MM-DD in ASCII digits; the ISO parser alone also takes "2000-1-5", other
        # scripts' digits and a trailing newline.
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise self.make_error("invalid")
        result: date = super()._deserialize(value, attr, data, **kwargs)
        if result >= date.today():
            raise ValidationError("This value should be a date in the past.")
        return result


class ResourceSchema(Schema):  # type: ignore[misc]
    """Adds the absolute base URL to self links and ignores unknown or read-only attributes."""

    class Meta:
        inflect = camel_case
        unknown = EXCLUDE

    def __init__(self, *args: Any, base_url: str = "", **kwargs: Any) -> None:
        self.base_url = base_url
        super().__init__(*args, **kwargs)

    def generate_url(self, link: str | None, **kwargs: Any) -> str | None:
        return self.base_url + link.format_map(kwargs) if link else None


class CustomerCollectionSchema(ResourceSchema):
    """A resource listed under one customer, ``{prefix}/customers/{ref}/{customer_collection}``: its
    self link and its collection's. ``prefix`` is the face's (``/backoffice``; the storefront's is
    empty), set by a subclass or per render."""

    customer_collection = ""
    prefix = ""

    def __init__(
        self, *args: Any, customer_reference: str = "", prefix: str | None = None, **kwargs: Any
    ) -> None:
        self.customer_reference = customer_reference
        if prefix is not None:
            self.prefix = prefix
        super().__init__(*args, **kwargs)

    def collection_url(self) -> str:
        return f"{self.base_url}{self.prefix}/customers/{self.customer_reference}/{self.customer_collection}"

    def get_resource_links(self, item: dict[str, Any]) -> dict[str, str]:
        return {"self": f"{self.collection_url()}/{item['id']}"}

    def get_top_level_links(self, data: Any, many: bool) -> dict[str, str | None]:
        if many:
            return {"self": self.collection_url()}
        return {"self": data.get("links", {}).get("self") if data else None}
