"""Settings are read once from GLUE_* variables; a bad one stops the start and names itself."""

from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError


def test_defaults_are_the_documented_ones():
    settings = Settings.from_environment({})
    assert settings.store == "DE" and settings.access_token_ttl == 28800
    assert (settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism) == (
        19456,
        2,
        1,
    )
    assert settings.password_min_length == 8 and settings.body_limit == 1024 * 1024
    assert settings.uses_sqlite and settings.database_url.endswith("var/glue-customers.sqlite3")
    # The issuer follows the public base URL (or the request's own) unless set; CORS is off.
    assert settings.jwt_issuer == "" and settings.cors_origins == ()
    assert settings.oauth_default_client_id == "storefront"


def test_issuer_and_cors_origins_are_read():
    settings = Settings.from_environment(
        {
            "GLUE_JWT_ISSUER": "https://shop.example/api",
            "GLUE_CORS_ORIGINS": "https://shop.example, http://localhost:3000",
        }
    )
    assert settings.jwt_issuer == "https://shop.example/api"
    assert settings.cors_origins == ("https://shop.example", "http://localhost:3000")


def test_values_are_parsed_by_type():
    settings = Settings.from_environment(
        {
            "GLUE_STORE": "AT",
            "GLUE_ACCESS_TOKEN_TTL": "60",
            "GLUE_OAUTH_CLIENT_IDS": "web, app",
            "GLUE_DATABASE_TIMEOUT": "2.5",
            "PATH": "/usr/bin",
        }
    )
    assert settings.store == "AT" and settings.access_token_ttl == 60
    assert settings.oauth_client_ids == ("web", "app") and settings.database_timeout == 2.5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GLUE_ACCESS_TOKEN_TTL", "soon"),
        ("GLUE_ACCESS_TOKEN_TTL", "0"),
        ("GLUE_STORE", "de"),
        ("GLUE_DATABASE_URL", "mysql://x"),
        ("GLUE_PASSWORD_MIN_LENGTH", "200"),
        ("GLUE_NO_SUCH_SETTING", "1"),
        ("GLUE_PUBLIC_BASE_URL", "shop.example"),
        ("GLUE_PUBLIC_BASE_URL", "https://shop.example/?store=de"),
        ("GLUE_JWT_ISSUER", "glue-customers"),
        ("GLUE_JWT_ISSUER", "https://shop.example#tokens"),
        ("GLUE_JWT_ISSUER", "ftp://shop.example"),
        ("GLUE_OAUTH_DEFAULT_CLIENT_ID", "my shop"),
        ("GLUE_CORS_ORIGINS", "*"),
        ("GLUE_CORS_ORIGINS", "https://shop.example/"),
        ("GLUE_CORS_ORIGINS", "https://shop.example/checkout"),
        ("GLUE_CORS_ORIGINS", "shop.example"),
        ("GLUE_CORS_ORIGINS", "https://shop.example:443"),
        ("GLUE_TRUSTED_PROXIES", "proxy.example"),
        ("GLUE_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.0/33"),
        ("GLUE_LOG_FORMAT", "xml"),
        ("GLUE_LOG_LEVEL", "loud"),
        ("GLUE_METRICS_TOKEN", "too-short"),
        ("GLUE_METRICS_TOKEN", "a token with spaces in it"),
        ("GLUE_METRICS_PUBLIC", "maybe"),
    ],
)
def test_bad_setting_names_the_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environment({variable: value})


def test_operations_settings_are_parsed():
    settings = Settings.from_environment(
        {
            "GLUE_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16, ::1",
            "GLUE_LOG_FORMAT": "JSON",
            "GLUE_LOG_LEVEL": "WARNING",
            "GLUE_METRICS_TOKEN": "0123456789abcdef",
            "GLUE_METRICS_PUBLIC": "true",
        }
    )
    assert settings.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "::1")
    assert (settings.log_format, settings.log_level) == ("json", "warning")
    assert settings.metrics_public and "0123456789abcdef" not in repr(settings)
