"""Settings are read once from GLUE_* variables; a bad one stops the start and names itself."""

from __future__ import annotations

import json

import pytest

from app.settings import Settings, SettingsError
from app.stores import Store


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
        ("GLUE_STORE", "1234"),
        ("GLUE_STORE", "A" * 17),
        ("GLUE_CURRENCY", "KWD"),
        ("GLUE_CURRENCY", "XAU"),
        ("GLUE_CURRENCY", "EURO"),
        ("GLUE_TIME_ZONE", "Europe/Atlantis"),
        ("GLUE_TIME_ZONE", "../etc/passwd"),
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
        ("GLUE_PHONE_DEFAULT_REGION", "XX"),
        ("GLUE_PHONE_DEFAULT_REGION", "+49"),
        ("GLUE_PHONE_DEFAULT_REGION", ""),
        ("GLUE_OPERATOR_MFA_KEY", "c2hvcnQ="),
        ("GLUE_OPERATOR_MFA_KEY", "not base64 at all!"),
        ("GLUE_OPERATOR_MFA_REQUIRED", "sometimes"),
    ],
)
def test_bad_setting_names_the_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environment({variable: value})


def test_the_phone_default_region_is_a_region_code_in_any_letter_case():
    assert Settings().phone_default_region == "DE"
    assert Settings.from_environment({"GLUE_PHONE_DEFAULT_REGION": " ch "}).phone_default_region == "CH"


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


DE = {
    "code": "DE",
    "defaultLocale": "de_DE",
    "locales": ["de_DE", "en_GB"],
    "currencyIsoCode": "EUR",
    "timeZone": "Europe/Berlin",
}
CH = {
    "code": "CH",
    "defaultLocale": "de_CH",
    "locales": ["de_CH", "fr_CH"],
    "currencyIsoCode": "CHF",
    "timeZone": "Europe/Zurich",
    "restorePasswordUrl": "https://shop.example.ch/password/restore",
}


def stores_environment(*entries: object) -> dict[str, str]:
    return {"GLUE_STORES": json.dumps(list(entries))}


class TestStores:
    def test_unset_is_one_implicit_store_from_store_currency_and_time_zone(self):
        (store,) = Settings.from_environment({}).store_catalogue
        assert store == Store("DE", "de_DE", ("de_DE", "en_US"), "EUR", "UTC")
        settings = Settings.from_environment(
            {"GLUE_STORE": "AT", "GLUE_CURRENCY": "JPY", "GLUE_TIME_ZONE": "Asia/Tokyo"}
        )
        assert settings.store_catalogue.default == Store(
            "AT", "de_DE", ("de_DE", "en_US"), "JPY", "Asia/Tokyo"
        )
        assert settings.store_catalogue.default.currency_minor_digits == 0

    def test_glue_stores_in_order_the_first_the_default(self):
        catalogue = Settings.from_environment(stores_environment(DE, CH)).store_catalogue
        assert catalogue.codes == ("DE", "CH") and catalogue.default.code == "DE"
        swiss = catalogue.find("ch")
        assert (
            swiss is not None and swiss.time_zone == "Europe/Zurich" and swiss.locales == ("de_CH", "fr_CH")
        )
        assert catalogue.find("AT") is None

    def test_locales_may_be_written_with_a_dash_and_in_any_case_and_are_kept_canonical(self):
        entry = {**DE, "defaultLocale": "DE-de", "locales": ["de-DE", "EN_gb"]}
        (store,) = Settings.from_environment(stores_environment(entry)).store_catalogue
        assert (store.default_locale, store.locales) == ("de_DE", ("de_DE", "en_GB"))

    def test_a_stores_mail_links_join_the_link_allow_list(self):
        settings = Settings.from_environment(stores_environment(DE, CH))
        assert "https://shop.example.ch" in settings.link_origins

    @pytest.mark.parametrize(
        ("entries", "message"),
        [
            ("{}", r"GLUE_STORES must be a non-empty JSON array"),
            ("[", r"GLUE_STORES must be a JSON array"),
            ("[]", r"GLUE_STORES must be a non-empty JSON array"),
            ([DE, "CH"], r"GLUE_STORES\[1\] must be a JSON object"),
            ([{**DE, "currency": "EUR"}], r"GLUE_STORES\[0\]\.currency is not a store field"),
            ([DE, {**CH, "timeZone": None}], r"GLUE_STORES\[1\]\.timeZone must be a string"),
            (
                [{key: value for key, value in DE.items() if key != "timeZone"}],
                r"GLUE_STORES\[0\]\.timeZone is missing",
            ),
            ([{**DE, "code": "de"}], r"GLUE_STORES\[0\]\.code must be 1-16 upper-case"),
            ([{**DE, "code": "2024"}], r"GLUE_STORES\[0\]\.code must be 1-16 upper-case"),
            ([DE, {**CH, "code": "DE"}], r"GLUE_STORES\[1\]\.code 'DE' is listed twice"),
            (
                [DE, {**CH, "defaultLocale": "it_CH"}],
                r"GLUE_STORES\[1\]\.defaultLocale must be one of locales",
            ),
            ([{**DE, "locales": []}], r"GLUE_STORES\[0\]\.locales must list 1 to 20 locales"),
            (
                [{**DE, "locales": ["de_DE", "de-de"]}],
                r"GLUE_STORES\[0\]\.locales must not list a locale twice",
            ),
            ([{**DE, "locales": ["de_DE", "german"]}], r"GLUE_STORES\[0\]\.locales must list ll_CC"),
            ([{**DE, "locales": ["de_DE", "xx_DE"]}], r"GLUE_STORES\[0\]\.locales must list ll_CC"),
            ([{**DE, "locales": ["de", "de_DE"]}], r"GLUE_STORES\[0\]\.locales must list ll_CC"),
            (
                [{**DE, "locales": [f"de_{c}" for c in ("DE", "AT", "CH", "LU", "LI", "BE", "IT") * 3]}],
                r"GLUE_STORES\[0\]\.locales must list 1 to 20",
            ),
            (
                [DE, {**CH, "currencyIsoCode": "KWD"}],
                r"GLUE_STORES\[1\]\.currencyIsoCode must be an ISO 4217 code with 0 or 2",
            ),
            ([{**DE, "currencyIsoCode": "ABC"}], r"GLUE_STORES\[0\]\.currencyIsoCode"),
            ([{**DE, "timeZone": "Mars/Olympus"}], r"GLUE_STORES\[0\]\.timeZone must be an IANA time zone"),
            (
                [{**CH, "confirmationUrl": "/confirm"}],
                r"GLUE_STORES\[0\]\.confirmationUrl must be an absolute http\(s\) URL",
            ),
        ],
    )
    def test_a_bad_entry_stops_the_start_naming_variable_index_and_field(self, entries, message):
        raw = entries if isinstance(entries, str) else json.dumps(entries)
        with pytest.raises(SettingsError, match=message):
            Settings.from_environment({"GLUE_STORES": raw})

    @pytest.mark.parametrize("variable", ["GLUE_STORE", "GLUE_CURRENCY", "GLUE_TIME_ZONE"])
    def test_the_implicit_stores_settings_are_refused_beside_glue_stores(self, variable):
        default = {"GLUE_STORE": "DE", "GLUE_CURRENCY": "EUR", "GLUE_TIME_ZONE": "UTC"}[variable]
        with pytest.raises(SettingsError, match=f"{variable}.*refused beside GLUE_STORES"):
            Settings.from_environment({**stores_environment(DE), variable: default})

    def test_stores_built_in_code_are_checked_too(self):
        with pytest.raises(SettingsError, match=r"GLUE_STORES\[0\]\.defaultLocale"):
            Settings(stores=(Store("DE", "fr_FR", ("de_DE",), "EUR", "UTC"),))
        with pytest.raises(SettingsError, match="refused beside GLUE_STORES"):
            Settings(stores=(Store("DE", "de_DE", ("de_DE",), "EUR", "UTC"),), currency="CHF")
