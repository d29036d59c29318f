"""The error catalogue is one table: unique codes, HTTP statuses that fit, details that render."""

from __future__ import annotations

from errors import ApiError, catalogue
from errors.catalogue import CATALOGUE
from errors.oauth import OAUTH_CATALOGUE


def test_codes_are_unique_strings():
    codes = [entry.code for entry in CATALOGUE]
    # the rows of SF §2, the store codes of CB §9 (1100, 1101), 020 (a /metrics scraper that is
    # neither local nor holds the token), the back-office's of BO §5 built so far (1000,
    # 1001-1009 (MFA 1006-1008), the phone and loyalty card 1010, 1011, anonymized 1012, activation and
    # credential changes 1013-1017, levels, points of sale and points 1020-1029, imports 1030-1031,
    # avatars and push tokens 1040-1043), the orders and payment-instrument codes of CB §9, the
    # companies' and company users' of CB §9 (1102-1109), the access requests' and invitation
    # symbols' (1120-1127)
    assert len(codes) == len(set(codes)) == 94
    assert all(isinstance(code, str) and code.isdigit() for code in codes)


def test_statuses_are_client_or_server_errors():
    assert all(400 <= entry.status <= 599 for entry in CATALOGUE)
    assert {entry.status for entry in CATALOGUE if entry.code in ("018", "019")} == {503, 500}


def test_templated_details_render():
    assert ApiError.invalid("email", "This value is not a valid email address.").problems[0].detail == (
        "email => This value is not a valid email address."
    )
    limited = ApiError(catalogue.TOO_MANY_LOGIN_ATTEMPTS, minutes=15)
    assert limited.problems[0].detail.endswith("Please wait 15 minutes before trying again.")
    assert ApiError(catalogue.PASSWORDS_DO_NOT_MATCH, field="newPassword").problems[0].detail == (
        "Value in field newPassword should be identical to value in the confirmPassword field."
    )


def test_glue_codes_keep_glue_wording():
    assert catalogue.INVALID_PASSWORD.detail == "Invalid password"  # no trailing dot, as Glue
    assert catalogue.by_code("405") == catalogue.CUSTOMER_REFERENCE_MISSING


def test_oauth_errors_use_the_registered_names():
    assert [entry.error for entry in OAUTH_CATALOGUE] == [
        "invalid_request",
        "invalid_grant",
        "invalid_client",
        "unsupported_grant_type",
        "slow_down",
        "invalid_scope",
    ]
    assert {entry.error: entry.status for entry in OAUTH_CATALOGUE}["invalid_client"] == 401
