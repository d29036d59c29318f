"""The mail texts: plain text and HTML for each kind, in English and German.

Placeholders are ``string.Template`` names (``$link``); values are HTML-escaped for the HTML part.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.locales import DEFAULT_TEXT_LANGUAGE as DEFAULT_LOCALE
from app.locales import TEXT_LANGUAGES as LOCALES

__all__ = ["MailTemplate", "TEMPLATES", "LOCALES", "DEFAULT_LOCALE", "PASSWORD_NOTES", "INVALID_REASONS"]


@dataclass(frozen=True)
class MailTemplate:
    subject: str
    text: str
    html: str


_HTML_FRAME = """<!doctype html>
<html lang="$lang">
<head><meta charset="utf-8"><title>$subject</title></head>
<body style="font-family: sans-serif; line-height: 1.5;">
{body}
</body>
</html>
"""


def _html(body: str) -> str:
    return _HTML_FRAME.replace("{body}", body.strip())


TEMPLATES: dict[tuple[str, str], MailTemplate] = {
    ("restore-password", "en"): MailTemplate(
        subject="Reset your password",
        text="""Hello $name,

someone, hopefully you, asked to reset the password of your account.
To choose a new password, open this link within $hours hours:

$link

The link works once. If you did not ask for it, ignore this mail: your password stays as it is.
""",
        html=_html("""
<p>Hello $name,</p>
<p>someone, hopefully you, asked to reset the password of your account.
To choose a new password, open this link within $hours hours:</p>
<p><a href="$link">Choose a new password</a></p>
<p>The link works once. If you did not ask for it, ignore this mail: your password stays as it is.</p>
"""),
    ),
    ("restore-password", "de"): MailTemplate(
        subject="Passwort zurücksetzen",
        text="""Hallo $name,

jemand, hoffentlich Sie, möchte das Passwort Ihres Kontos zurücksetzen.
Um ein neues Passwort zu wählen, öffnen Sie innerhalb von $hours Stunden diesen Link:

$link

Der Link funktioniert nur einmal. Falls Sie das nicht angefordert haben, ignorieren Sie diese
E-Mail: Ihr Passwort bleibt unverändert.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>jemand, hoffentlich Sie, möchte das Passwort Ihres Kontos zurücksetzen.
Um ein neues Passwort zu wählen, öffnen Sie innerhalb von $hours Stunden diesen Link:</p>
<p><a href="$link">Neues Passwort wählen</a></p>
<p>Der Link funktioniert nur einmal. Falls Sie das nicht angefordert haben, ignorieren Sie diese
E-Mail: Ihr Passwort bleibt unverändert.</p>
"""),
    ),
    ("invitation", "en"): MailTemplate(
        subject="Your new customer account",
        text="""Hello $name,

an account has been opened for you. To choose its password, open this link within $days days:

$link

The link works once. If you did not expect this mail, ignore it.
""",
        html=_html("""
<p>Hello $name,</p>
<p>an account has been opened for you. To choose its password, open this link within $days days:</p>
<p><a href="$link">Choose your password</a></p>
<p>The link works once. If you did not expect this mail, ignore it.</p>
"""),
    ),
    ("invitation", "de"): MailTemplate(
        subject="Ihr neues Kundenkonto",
        text="""Hallo $name,

für Sie wurde ein Konto eröffnet. Um sein Passwort zu wählen, öffnen Sie innerhalb von $days Tagen
diesen Link:

$link

Der Link funktioniert nur einmal. Falls Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>für Sie wurde ein Konto eröffnet. Um sein Passwort zu wählen, öffnen Sie innerhalb von $days Tagen
diesen Link:</p>
<p><a href="$link">Passwort wählen</a></p>
<p>Der Link funktioniert nur einmal. Falls Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.</p>
"""),
    ),
    ("password-changed", "en"): MailTemplate(
        subject="Your password was changed",
        text="""Hello $name,

the password of your account was changed on $when (UTC). Every other device has been signed out.

If this was not you, reset your password at once with "Forgot password" and contact us.
""",
        html=_html("""
<p>Hello $name,</p>
<p>the password of your account was changed on $when (UTC). Every other device has been signed out.</p>
<p>If this was not you, reset your password at once with “Forgot password” and contact us.</p>
"""),
    ),
    ("password-changed", "de"): MailTemplate(
        subject="Ihr Passwort wurde geändert",
        text="""Hallo $name,

das Passwort Ihres Kontos wurde am $when (UTC) geändert. Alle anderen Geräte wurden abgemeldet.

Falls Sie das nicht waren, setzen Sie Ihr Passwort sofort über „Passwort vergessen“ zurück und
kontaktieren Sie uns.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>das Passwort Ihres Kontos wurde am $when (UTC) geändert. Alle anderen Geräte wurden abgemeldet.</p>
<p>Falls Sie das nicht waren, setzen Sie Ihr Passwort sofort über „Passwort vergessen“ zurück und
kontaktieren Sie uns.</p>
"""),
    ),
    ("registration-confirmation", "en"): MailTemplate(
        subject="Confirm your e-mail address",
        text="""Hello $name,

thank you for registering. Please confirm your e-mail address by opening this link:

$link

Until then you cannot log in. If you did not register, ignore this mail.
""",
        html=_html("""
<p>Hello $name,</p>
<p>thank you for registering. Please confirm your e-mail address by opening this link:</p>
<p><a href="$link">Confirm my e-mail address</a></p>
<p>Until then you cannot log in. If you did not register, ignore this mail.</p>
"""),
    ),
    ("registration-confirmation", "de"): MailTemplate(
        subject="Bestätigen Sie Ihre E-Mail-Adresse",
        text="""Hallo $name,

vielen Dank für Ihre Registrierung. Bitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link:

$link

Bis dahin ist keine Anmeldung möglich. Falls Sie sich nicht registriert haben, ignorieren Sie diese
E-Mail.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>vielen Dank für Ihre Registrierung. Bitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link:</p>
<p><a href="$link">E-Mail-Adresse bestätigen</a></p>
<p>Bis dahin ist keine Anmeldung möglich. Falls Sie sich nicht registriert haben, ignorieren Sie
diese E-Mail.</p>
"""),
    ),
    ("email-change", "en"): MailTemplate(
        subject="Confirm your new e-mail address",
        text="""Hello $name,

please confirm that this is the new e-mail address of your account by opening this link within
$hours hours:

$link

Until then your account keeps its old address. If you did not ask for this, ignore this mail.
""",
        html=_html("""
<p>Hello $name,</p>
<p>please confirm that this is the new e-mail address of your account by opening this link within
$hours hours:</p>
<p><a href="$link">Confirm my new e-mail address</a></p>
<p>Until then your account keeps its old address. If you did not ask for this, ignore this mail.</p>
"""),
    ),
    ("email-change", "de"): MailTemplate(
        subject="Bestätigen Sie Ihre neue E-Mail-Adresse",
        text="""Hallo $name,

bitte bestätigen Sie innerhalb von $hours Stunden mit diesem Link, dass dies die neue
E-Mail-Adresse Ihres Kontos ist:

$link

Bis dahin behält Ihr Konto die alte Adresse. Falls Sie das nicht angefordert haben, ignorieren Sie
diese E-Mail.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>bitte bestätigen Sie innerhalb von $hours Stunden mit diesem Link, dass dies die neue
E-Mail-Adresse Ihres Kontos ist:</p>
<p><a href="$link">Neue E-Mail-Adresse bestätigen</a></p>
<p>Bis dahin behält Ihr Konto die alte Adresse. Falls Sie das nicht angefordert haben, ignorieren Sie
diese E-Mail.</p>
"""),
    ),
    ("email-changed", "en"): MailTemplate(
        subject="Your e-mail address was changed",
        text="""Hello $name,

the e-mail address of your account was changed on $when (UTC); this address no longer signs in.
Every other device has been signed out.

If this was not you, contact us at once.
""",
        html=_html("""
<p>Hello $name,</p>
<p>the e-mail address of your account was changed on $when (UTC); this address no longer signs in.
Every other device has been signed out.</p>
<p>If this was not you, contact us at once.</p>
"""),
    ),
    ("email-changed", "de"): MailTemplate(
        subject="Ihre E-Mail-Adresse wurde geändert",
        text="""Hallo $name,

die E-Mail-Adresse Ihres Kontos wurde am $when (UTC) geändert; mit dieser Adresse ist keine
Anmeldung mehr möglich. Alle anderen Geräte wurden abgemeldet.

Falls Sie das nicht waren, kontaktieren Sie uns sofort.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>die E-Mail-Adresse Ihres Kontos wurde am $when (UTC) geändert; mit dieser Adresse ist keine
Anmeldung mehr möglich. Alle anderen Geräte wurden abgemeldet.</p>
<p>Falls Sie das nicht waren, kontaktieren Sie uns sofort.</p>
"""),
    ),
    ("company-user-invitation", "en"): MailTemplate(
        subject="You are invited to $company",
        text="""Hello $name,

an account was opened for you as a user of $company. To choose your password, open this link
within $days days:

$link

The link works once. If you did not expect this mail, ignore it.
""",
        html=_html("""
<p>Hello $name,</p>
<p>an account was opened for you as a user of $company. To choose your password, open this link
within $days days:</p>
<p><a href="$link">Choose your password</a></p>
<p>The link works once. If you did not expect this mail, ignore it.</p>
"""),
    ),
    ("company-user-invitation", "de"): MailTemplate(
        subject="Einladung zu $company",
        text="""Hallo $name,

für Sie wurde ein Konto als Benutzer von $company eröffnet. Um Ihr Passwort zu wählen, öffnen Sie
innerhalb von $days Tagen diesen Link:

$link

Der Link funktioniert nur einmal. Falls Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.
""",
        html=_html("""
<p>Hallo $name,</p>
<p>für Sie wurde ein Konto als Benutzer von $company eröffnet. Um Ihr Passwort zu wählen, öffnen Sie
innerhalb von $days Tagen diesen Link:</p>
<p><a href="$link">Passwort wählen</a></p>
<p>Der Link funktioniert nur einmal. Falls Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.</p>
"""),
    ),
    ("company-user-added", "en"): MailTemplate(
        subject="You were added to $company",
        text="""Hello $name,

your account is now a user of $company. Sign in with your usual password:

$link
""",
        html=_html("""
<p>Hello $name,</p>
<p>your account is now a user of $company. Sign in with your usual password:</p>
<p><a href="$link">Sign in</a></p>
"""),
    ),
    ("company-user-added", "de"): MailTemplate(
        subject="Sie wurden zu $company hinzugefügt",
        text="""Hallo $name,

Ihr Konto ist jetzt ein Benutzer von $company. Melden Sie sich mit Ihrem gewohnten Passwort an:

$link
""",
        html=_html("""
<p>Hallo $name,</p>
<p>Ihr Konto ist jetzt ein Benutzer von $company. Melden Sie sich mit Ihrem gewohnten Passwort an:</p>
<p><a href="$link">Anmelden</a></p>
"""),
    ),
}


def _paragraphs(subject: str, paragraphs: tuple[str, ...], link_label: str | None = None) -> MailTemplate:
    """The access-request mails (CB §5.2) share one shape: a greeting, paragraphs, an optional link."""
    text = "\n\n".join(paragraphs) + ("\n\n$link" if link_label else "") + "\n"
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    if link_label:
        body += f'\n<p><a href="$link">{link_label}</a></p>'
    return MailTemplate(subject=subject, text=text, html=_html(body))


TEMPLATES.update(
    {
        ("access-request-confirmation", "en"): _paragraphs(
            "Confirm your access request",
            (
                "Hello $name,",
                "we received your request for a business account. To confirm your e-mail address,\n"
                "open this link within $hours hours:",
            ),
            "Confirm your request",
        ),
        ("access-request-confirmation", "de"): _paragraphs(
            "Bestätigen Sie Ihre Zugangsanfrage",
            (
                "Hallo $name,",
                "wir haben Ihre Anfrage für ein Geschäftskonto erhalten. Um Ihre E-Mail-Adresse zu\n"
                "bestätigen, öffnen Sie innerhalb von $hours Stunden diesen Link:",
            ),
            "Anfrage bestätigen",
        ),
        ("access-request-open", "en"): _paragraphs(
            "Your access request is being processed",
            (
                "Hello $name,",
                "someone, hopefully you, asked for a business account with this e-mail address. A request\n"
                "of yours is already being processed; we will write to you once it is decided.",
            ),
        ),
        ("access-request-open", "de"): _paragraphs(
            "Ihre Zugangsanfrage wird bearbeitet",
            (
                "Hallo $name,",
                "jemand, hoffentlich Sie, hat mit dieser E-Mail-Adresse ein Geschäftskonto angefragt. Eine\n"
                "Anfrage von Ihnen wird bereits bearbeitet; wir schreiben Ihnen, sobald sie entschieden ist.",
            ),
        ),
        ("access-request-notice", "en"): _paragraphs(
            "New access request from $email",
            (
                "Hello,",
                "$name ($email) confirmed an access request in store $store (company: $hint).\n"
                "Request id: $id",
            ),
        ),
        ("access-request-notice", "de"): _paragraphs(
            "Neue Zugangsanfrage von $email",
            (
                "Hallo,",
                "$name ($email) hat im Shop $store eine Zugangsanfrage bestätigt (Firma: $hint).\n"
                "Anfrage-ID: $id",
            ),
        ),
        ("access-request-accepted", "en"): _paragraphs(
            "Your access request for $company was accepted",
            (
                "Hello $name,",
                "your access request was accepted for $company. An administrator of $company will\n"
                "approve it; we will write to you then.",
            ),
        ),
        ("access-request-accepted", "de"): _paragraphs(
            "Ihre Zugangsanfrage für $company wurde angenommen",
            (
                "Hallo $name,",
                "Ihre Zugangsanfrage wurde für $company angenommen. Ein Administrator von $company wird\n"
                "sie freigeben; wir schreiben Ihnen dann.",
            ),
        ),
        ("access-request-awaiting-approval", "en"): _paragraphs(
            "$applicant asks to join $company",
            (
                "Hello $name,",
                "$applicant ($email) asks to join $company as $role. Approve or decline the request\n"
                "among your company's access requests.",
            ),
        ),
        ("access-request-awaiting-approval", "de"): _paragraphs(
            "$applicant möchte $company beitreten",
            (
                "Hallo $name,",
                "$applicant ($email) möchte $company als $role beitreten. Geben Sie die Anfrage unter den\n"
                "Zugangsanfragen Ihrer Firma frei oder lehnen Sie sie ab.",
            ),
        ),
        ("access-request-approved", "en"): _paragraphs(
            "Welcome to $company",
            ("Hello $name,", "your access request was approved: you are now a user of $company. $password"),
            "Sign in",
        ),
        ("access-request-approved", "de"): _paragraphs(
            "Willkommen bei $company",
            (
                "Hallo $name,",
                "Ihre Zugangsanfrage wurde freigegeben: Sie sind jetzt Benutzer von $company. $password",
            ),
            "Anmelden",
        ),
        ("access-request-declined", "en"): _paragraphs(
            "Your access request was declined",
            ("Hello $name,", "your access request was declined. The reason given:", "$reason"),
        ),
        ("access-request-declined", "de"): _paragraphs(
            "Ihre Zugangsanfrage wurde abgelehnt",
            ("Hallo $name,", "Ihre Zugangsanfrage wurde abgelehnt. Die angegebene Begründung:", "$reason"),
        ),
        ("access-request-invalid", "en"): _paragraphs(
            "Your access request could not be completed",
            ("Hello $name,", "your access request could not be completed: $reason"),
        ),
        ("access-request-invalid", "de"): _paragraphs(
            "Ihre Zugangsanfrage konnte nicht abgeschlossen werden",
            ("Hallo $name,", "Ihre Zugangsanfrage konnte nicht abgeschlossen werden: $reason"),
        ),
    }
)

# What ``access-request-approved`` says about the password, per language (CB §5.2 "Approval").
PASSWORD_NOTES: dict[tuple[bool, str], str] = {
    (False, "en"): "Sign in with the password you chose with your request.",
    (False, "de"): "Melden Sie sich mit dem Passwort an, das Sie mit Ihrer Anfrage gewählt haben.",
    (True, "en"): "You already had an account: sign in with its password as before.",
    (True, "de"): "Sie hatten bereits ein Konto: Melden Sie sich wie bisher mit dessen Passwort an.",
}

# What ``access-request-invalid`` gives as the reason, per language (CB §5.1 invalidReason).
INVALID_REASONS: dict[tuple[str, str], str] = {
    ("already-member", "en"): "you already are a user of that company.",
    ("already-member", "de"): "Sie sind bereits Benutzer dieser Firma.",
    ("company-inactive", "en"): "the company is not active.",
    ("company-inactive", "de"): "die Firma ist nicht aktiv.",
    ("account-inactive", "en"): "your customer account is not active.",
    ("account-inactive", "de"): "Ihr Kundenkonto ist nicht aktiv.",
}
