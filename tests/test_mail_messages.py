"""Mail texts and transports, without a database: languages, escaping, SMTP options, .eml files."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest

from app.mail.messages import MailKind, build_message, choose_locale, render_mail
from app.mail.templates import LOCALES, TEMPLATES
from app.mail.transports import Delivery, FileTransport, SmtpOptions
from app.settings import Settings, SettingsError


def test_every_kind_has_every_language():
    assert {(kind.value, locale) for kind in MailKind for locale in LOCALES} == set(TEMPLATES)


@pytest.mark.parametrize(
    ("locale", "chosen"),
    [
        ("de_CH", "de"),
        ("de_DE", "de"),
        ("en_GB", "en"),
        ("fr_CH", "en"),
        ("de", "de"),
        ("de-AT", "de"),
        ("fr", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_the_customers_language_when_we_have_it_else_english(locale, chosen):
    assert choose_locale(locale) == chosen


def test_values_are_escaped_in_html_only():
    mail = render_mail(MailKind.PASSWORD_CHANGED, "a@example.com", "en", name="<b>Eve</b>", when="now")
    assert "Hello <b>Eve</b>," in mail.text
    assert "Hello &lt;b&gt;Eve&lt;/b&gt;," in mail.html


async def test_eml_files_are_rfc5322_with_crlf_and_redelivery_overwrites(tmp_path):
    mail = render_mail(
        MailKind.RESTORE_PASSWORD, "a@example.com", "de", name="Jö", link="https://x/?token=k", hours="2"
    )
    message = build_message(
        sender="Shop <shop@example.com>",
        recipient=mail.recipient,
        subject=mail.subject,
        text=mail.text,
        html_body=mail.html,
        message_id="<abc123@example.com>",
        created_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC),
    )
    transport = FileTransport(str(tmp_path))
    delivery = Delivery(kind=mail.kind, created_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC), message=message)
    assert await transport.deliver([delivery, delivery]) == [None, None]
    (path,) = tmp_path.glob("*.eml")
    assert path.name == "20261123T091500-restore-password-abc123.eml"
    raw = path.read_bytes()
    assert b"\r\nSubject: " in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Passwort zurücksetzen"
    assert parsed["Date"] == "Mon, 23 Nov 2026 09:15:00 +0000"
    assert "https://x/?token=k" in parsed.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", SmtpOptions("mail.example", None, None, None, False, None)),
        (
            "smtp+starttls://u%40x:p%3Aw@mail.example:587",
            SmtpOptions("mail.example", 587, "u@x", "p:w", False, True),
        ),
        (
            "smtps://user:secret@mail.example:465",
            SmtpOptions("mail.example", 465, "user", "secret", True, False),
        ),
    ],
)
def test_smtp_url_gives_tls_and_auth_options(url, expected):
    assert SmtpOptions.from_url(url) == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GLUE_SMTP_URL", "http://mail.example"),
        ("GLUE_SMTP_URL", "smtp://mail.example:port"),
        ("GLUE_ALLOWED_LINK_ORIGINS", "https://shop.example/reset"),
        ("GLUE_RESTORE_PASSWORD_URL", "/reset"),
        ("GLUE_CONFIRMATION_URL", "ftp://shop.example/confirm"),
        ("GLUE_MAIL_SENDER", "nobody"),
        ("GLUE_RESTORE_KEY_TTL", "0"),
        ("GLUE_MAIL_POLL_INTERVAL", "0"),
        ("GLUE_FORGOTTEN_PASSWORD_MIN_SECONDS", "-1"),
        ("GLUE_CONFIRMATION_REQUIRED", "maybe"),
    ],
)
def test_a_bad_mail_setting_stops_the_start_naming_it(variable, value):
    with pytest.raises(SettingsError, match=variable.split("GLUE_", 1)[1]):
        Settings.from_environment({variable: value})


def test_mail_settings_from_the_environment():
    settings = Settings.from_environment(
        {
            "GLUE_ALLOWED_LINK_ORIGINS": "https://shop.example, https://Shop.Example:8443",
            "GLUE_CONFIRMATION_REQUIRED": "true",
            "GLUE_SMTP_URL": "smtps://user:secret@mail.example",
        }
    )
    assert settings.confirmation_required is True
    assert settings.link_origins == {
        "https://shop.example",
        "https://shop.example:8443",
        "http://localhost:3000",
    }
    assert "secret" not in repr(settings)
