"""The mails of access requests (CB §5.2): rendered in the applicant's (or recipient's) language,
returned for the service to queue in the transaction of its transition."""

from __future__ import annotations

from app.mail import MailKind, OutgoingMail, render_mail
from app.mail.messages import choose_locale
from app.mail.templates import INVALID_REASONS, PASSWORD_NOTES
from app.models import AccessRequest, CompanyRecord, CompanyUser
from app.stores import Store

__all__ = [
    "confirmation",
    "still_open",
    "notice",
    "accepted",
    "awaiting_approval",
    "approved",
    "declined",
    "invalid",
]


def _name(request: AccessRequest) -> str:
    return " ".join(part for part in (request.first_name, request.last_name) if part) or request.email


def _locale(request: AccessRequest, store: Store) -> str:
    return store.resolve_locale(request.locale)


def confirmation(request: AccessRequest, store: Store, link: str, ttl_seconds: int) -> OutgoingMail:
    return render_mail(
        MailKind.ACCESS_REQUEST_CONFIRMATION,
        request.email,
        _locale(request, store),
        name=_name(request),
        link=link,
        hours=str(max(1, round(ttl_seconds / 3600))),
    )


def still_open(request: AccessRequest, store: Store) -> OutgoingMail:
    return render_mail(
        MailKind.ACCESS_REQUEST_OPEN, request.email, _locale(request, store), name=_name(request)
    )


def notice(request: AccessRequest, store: Store, recipient: str) -> OutgoingMail:
    return render_mail(
        MailKind.ACCESS_REQUEST_NOTICE,
        recipient,
        store.default_locale,
        name=_name(request),
        email=request.email,
        store=store.code,
        hint=request.company_hint or "-",
        id=request.id,
    )


def accepted(request: AccessRequest, store: Store, company: CompanyRecord) -> OutgoingMail:
    return render_mail(
        MailKind.ACCESS_REQUEST_ACCEPTED,
        request.email,
        _locale(request, store),
        name=_name(request),
        company=company.name,
    )


def awaiting_approval(
    request: AccessRequest, store: Store, company: CompanyRecord, admin: CompanyUser
) -> OutgoingMail:
    return render_mail(
        MailKind.ACCESS_REQUEST_AWAITING_APPROVAL,
        admin.email,
        store.default_locale,
        name=" ".join(part for part in (admin.first_name, admin.last_name) if part) or admin.email,
        applicant=_name(request),
        email=request.email,
        company=company.name,
        role=request.role or "buyer",
    )


def approved(
    request: AccessRequest, store: Store, company: CompanyRecord, login_url: str, existing_account: bool
) -> OutgoingMail:
    locale = _locale(request, store)
    return render_mail(
        MailKind.ACCESS_REQUEST_APPROVED,
        request.email,
        locale,
        name=_name(request),
        company=company.name,
        link=login_url,
        password=PASSWORD_NOTES[(existing_account, choose_locale(locale))],
    )


def declined(request: AccessRequest, store: Store, reason: str) -> OutgoingMail:
    return render_mail(
        MailKind.ACCESS_REQUEST_DECLINED,
        request.email,
        _locale(request, store),
        name=_name(request),
        reason=reason,
    )


def invalid(request: AccessRequest, store: Store, reason: str) -> OutgoingMail:
    locale = _locale(request, store)
    return render_mail(
        MailKind.ACCESS_REQUEST_INVALID,
        request.email,
        locale,
        name=_name(request),
        reason=INVALID_REASONS[(reason, choose_locale(locale))],
    )
