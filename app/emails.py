"""E-mail addresses: one normal form, so one mailbox is one account.

``email-validator`` checks the syntax only (no DNS): the local part is NFC-normalised, the domain
IDNA-normalised (UTS #46, so ``xn--exmple-cua.com`` and ``exämple.com`` are one domain) and
lower-cased; domains that are not fully qualified (``a@localhost``) or special-use (``.invalid``,
``.test``) are refused.
"""

from __future__ import annotations

import functools

from email_validator import EmailNotValidError, validate_email

__all__ = ["InvalidEmail", "normalise_email", "email_key"]

_LOCAL_PART_MAX_OCTETS = 64


class InvalidEmail(ValueError):
    """Not a deliverable-looking e-mail address."""


def normalise_email(address: str) -> str:
    """The normal form of ``address`` (surrounding white space dropped), else InvalidEmail."""
    normal = _normal_form(address.strip())
    if normal is None:
        raise InvalidEmail(address)
    return normal


# The check is pure and costs tens of microseconds: a creation reads an address twice (its
# document, then its service) and a bulk import reads thousands.
@functools.lru_cache(maxsize=4096)
def _normal_form(address: str) -> str | None:
    try:
        normal = str(validate_email(address, check_deliverability=False).normalized)
    except EmailNotValidError:
        return None
    # RFC 5321 §4.5.3.1.1: a local part has at most 64 octets (email-validator counts characters,
    # and only in its strict mode).
    if len(normal.rpartition("@")[0].encode("utf-8")) > _LOCAL_PART_MAX_OCTETS:
        return None
    return normal


def email_key(address: str) -> str:
    """What uniqueness and login compare: the normal form, lower-cased.

    A value that is no valid address (a login name typed wrong, a stored address from before
    validation) is only trimmed and lower-cased, so it can still be looked up, but matches no
    normalised address it does not spell.
    """
    try:
        return normalise_email(address).lower()
    except InvalidEmail:
        return address.strip().lower()
