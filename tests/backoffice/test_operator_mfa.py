"""BO §2.1: operators' TOTP. Enrolment, confirmation, login with and without a code (the previous,
current and next time step; a used step refused), recovery codes single use, removal, an
administrator's reset, the limiter counting wrong codes, and enrolment-only sessions. Codes are
computed from the enrolled secret with pyotp."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pyotp
import sqlalchemy as sa

from tests.backoffice.helpers import (
    OPERATOR_PASSWORD,
    Operator,
    logged_in_operator,
    operator_login,
    seed_operator,
)
from tests.helpers import JSON_API, bearer, document, error, post

ONE_TIME_CODE_REQUIRED = {"errors": [error(401, "1006", "Invalid or missing one-time code.")]}
ALREADY_ACTIVE = {"errors": [error(422, "1007", "Multi-factor authentication is already active.")]}
CODE_INVALID = {"errors": [error(422, "1008", "This one-time code is invalid.")]}
AUTHENTICATION_FAILED = {"errors": [error(401, "003", "Failed to authenticate user.")]}
INVALID_TOKEN = {"errors": [error(401, "001", "Invalid access token.")]}
REFUSED = {"errors": [error(403, "1000", "Insufficient permissions.")]}


def _code(secret: str, steps_from_now: int = 0) -> str:
    """The TOTP of the step ``steps_from_now`` away, computed just before its request is sent."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_from_now)


def _otp(code: str) -> dict[str, Any]:
    return document("operator-mfa", {"otp": code})


async def _enrol(client: httpx.AsyncClient, operator: Operator) -> dict[str, Any]:
    response = await client.post("/backoffice/operator-mfa", headers=operator.headers)
    assert response.status_code == 201, response.text
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    attributes["secret"] = pyotp.parse_uri(attributes["otpauthUri"]).secret
    return attributes


async def _confirm(client: httpx.AsyncClient, operator: Operator, code: str) -> httpx.Response:
    return await post(client, "/backoffice/operator-mfa/confirm", _otp(code), headers=operator.headers)


async def _enrolled(app: Any, client: httpx.AsyncClient, **kwargs: Any) -> tuple[Operator, dict[str, Any]]:
    """A logged-in operator whose MFA is active (confirmed with the current step's code)."""
    operator = await logged_in_operator(app, client, **kwargs)
    enrolment = await _enrol(client, operator)
    assert (await _confirm(client, operator, _code(enrolment["secret"]))).status_code == 204
    return operator, enrolment


async def _login(client: httpx.AsyncClient, email: str, otp: str | None, password: str = OPERATOR_PASSWORD):
    attributes: dict[str, Any] = {"username": email, "password": password}
    if otp is not None:
        attributes["otp"] = otp
    return await post(client, "/backoffice/access-tokens", document("access-tokens", attributes))


async def _mfa_active(app: Any, operator_id: str) -> bool:
    row = await app.state.services.db.fetch_one(
        sa.text("SELECT mfa_active FROM operators WHERE id = :id").bindparams(id=operator_id)
    )
    return bool(row[0])


async def _audit_actions(app: Any, operator_id: str) -> list[str]:
    rows = await app.state.services.db.fetch_all(
        sa.text(
            "SELECT action FROM audit_events WHERE operator_id = :id AND action LIKE :pattern ORDER BY id"
        ).bindparams(id=operator_id, pattern="%mfa%")
    )
    return [row[0] for row in rows]


@asynccontextmanager
async def _client_of(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


class TestEnrolment:
    async def test_enrolment_shows_a_provisioning_uri_and_ten_recovery_codes_once(self, app, client):
        operator = await logged_in_operator(app, client)

        response = await client.post("/backoffice/operator-mfa", headers=operator.headers)

        assert response.status_code == 201
        data = response.json()["data"]
        assert data["type"] == "operator-mfa"
        assert data["id"] == operator.id
        attributes = data["attributes"]
        assert attributes["status"] == "pending"
        totp = pyotp.parse_uri(attributes["otpauthUri"])
        assert isinstance(totp, pyotp.TOTP)
        assert (totp.digits, totp.interval, totp.issuer, totp.name) == (
            6,
            30,
            "glue-customers",
            operator.email,
        )
        codes = attributes["recoveryCodes"]
        assert len(codes) == 10 == len(set(codes))
        assert all(len(code) == 19 and len(code.replace("-", "")) == 16 for code in codes)
        operator_row = await client.get(f"/backoffice/operators/{operator.id}", headers=operator.headers)
        assert operator_row.json()["data"]["attributes"]["mfaActive"] is False

    async def test_the_secret_is_sealed_and_recovery_codes_kept_as_digests(self, app, client):
        operator = await logged_in_operator(app, client)
        enrolment = await _enrol(client, operator)
        db = app.state.services.db

        sealed = (
            await db.fetch_one(
                sa.text("SELECT mfa_secret FROM operators WHERE id = :id").bindparams(id=operator.id)
            )
        )[0]
        digests = {
            row[0]
            for row in await db.fetch_all(
                sa.text("SELECT digest FROM operator_recovery_codes WHERE operator_id = :id").bindparams(
                    id=operator.id
                )
            )
        }
        audit = await db.fetch_all(sa.text("SELECT details FROM audit_events"))

        assert enrolment["secret"] not in sealed
        assert digests == {
            hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in enrolment["recoveryCodes"]
        }
        assert not any(enrolment["secret"] in str(row[0]) for row in audit)

    async def test_enrolling_again_while_pending_replaces_secret_and_codes(self, app, client):
        operator = await logged_in_operator(app, client)
        first = await _enrol(client, operator)
        second = await _enrol(client, operator)

        assert first["secret"] != second["secret"]
        assert not set(first["recoveryCodes"]) & set(second["recoveryCodes"])
        refused = await _confirm(client, operator, _code(first["secret"]))
        if refused.status_code != 204:  # the two secrets' codes may coincide, one in a million
            assert refused.json() == CODE_INVALID
        assert (await _confirm(client, operator, _code(second["secret"]))).status_code == 204

    async def test_enrolling_while_active_is_1007(self, app, client):
        operator, _ = await _enrolled(app, client)

        response = await client.post("/backoffice/operator-mfa", headers=operator.headers)

        assert response.status_code == 422
        assert response.json() == ALREADY_ACTIVE


class TestConfirmation:
    async def test_a_current_code_activates_mfa_and_ends_the_other_sessions(self, app, client):
        operator = await logged_in_operator(app, client)
        other_session = (await operator_login(client, operator.email)).json()["data"]["attributes"][
            "accessToken"
        ]
        enrolment = await _enrol(client, operator)

        response = await _confirm(client, operator, _code(enrolment["secret"]))

        assert response.status_code == 204
        assert await _mfa_active(app, operator.id)
        mine = await client.get(f"/backoffice/operators/{operator.id}", headers=operator.headers)
        assert mine.json()["data"]["attributes"]["mfaActive"] is True
        ended = await client.get(f"/backoffice/operators/{operator.id}", headers=bearer(other_session))
        assert ended.json() == INVALID_TOKEN
        assert await _audit_actions(app, operator.id) == [
            "POST /backoffice/operator-mfa",
            "POST /backoffice/operator-mfa/confirm",
        ]

    async def test_a_wrong_code_or_a_recovery_code_is_1008_and_changes_nothing(self, app, client):
        operator = await logged_in_operator(app, client)
        enrolment = await _enrol(client, operator)
        wrong = str((int(_code(enrolment["secret"])) + 1) % 1_000_000).zfill(6)

        for code in (wrong, enrolment["recoveryCodes"][0], "not a code"):
            response = await _confirm(client, operator, code)
            assert response.status_code == 422
            assert response.json() == CODE_INVALID

        assert not await _mfa_active(app, operator.id)

    async def test_confirming_without_an_enrolment_is_1008(self, app, client):
        operator = await logged_in_operator(app, client)

        response = await _confirm(client, operator, "123456")

        assert response.json() == CODE_INVALID

    async def test_confirming_while_active_is_1007(self, app, client):
        operator, enrolment = await _enrolled(app, client)

        response = await _confirm(client, operator, _code(enrolment["secret"], 1))

        assert response.json() == ALREADY_ACTIVE

    async def test_a_missing_otp_is_901(self, app, client):
        operator = await logged_in_operator(app, client)
        await _enrol(client, operator)

        response = await post(
            client, "/backoffice/operator-mfa/confirm", document("operator-mfa", {}), headers=operator.headers
        )

        assert response.status_code == 422
        assert response.json() == {
            "errors": [error(422, "901", "otp => This field is missing.", "/data/attributes/otp")]
        }

    async def test_wrong_codes_count_in_the_login_limiter(self, app_factory):
        app = app_factory(login_limit_per_account=2)
        async with _client_of(app) as client:
            operator = await logged_in_operator(app, client)
            await _enrol(client, operator)
            for _ in range(2):
                assert (await _confirm(client, operator, "000000")).json() == CODE_INVALID

            limited = await _confirm(client, operator, "000000")
            refused_login = await operator_login(client, operator.email)

        assert limited.status_code == 429
        assert limited.headers["Retry-After"].isdigit()
        assert limited.json()["errors"][0]["code"] == "4401"
        assert refused_login.status_code == 429


class TestLogin:
    async def test_with_mfa_active_a_login_without_or_with_a_wrong_code_is_1006_password_right_or_not(
        self, app, client
    ):
        operator, enrolment = await _enrolled(app, client)
        wrong = str((int(_code(enrolment["secret"])) + 1) % 1_000_000).zfill(6)

        for otp, password in (
            (None, OPERATOR_PASSWORD),
            (wrong, OPERATOR_PASSWORD),
            (None, "Wrong-Password-123"),
            (wrong, "Wrong-Password-123"),
            ("", OPERATOR_PASSWORD),
        ):
            response = await _login(client, operator.email, otp, password)
            assert response.status_code == 401, (otp, password)
            assert response.json() == ONE_TIME_CODE_REQUIRED

    async def test_a_right_code_with_a_wrong_password_is_003_and_leaves_the_code_unspent(self, app, client):
        operator, enrolment = await _enrolled(app, client)
        code = _code(enrolment["secret"], 1)

        refused = await _login(client, operator.email, code, "Wrong-Password-123")
        accepted = await _login(client, operator.email, code)

        assert refused.json() == AUTHENTICATION_FAILED
        assert accepted.status_code == 201, accepted.text

    async def test_codes_of_the_previous_current_and_next_step_log_in_each_step_once(self, app, client):
        # Confirmed with the previous step's code, so that every later step is still free.
        operator = await logged_in_operator(app, client)
        enrolment = await _enrol(client, operator)
        secret = enrolment["secret"]
        assert (await _confirm(client, operator, _code(secret, -1))).status_code == 204

        current = await _login(client, operator.email, _code(secret))
        next_code = _code(secret, 1)
        following = await _login(client, operator.email, next_code)
        replayed = await _login(client, operator.email, next_code)
        earlier = await _login(client, operator.email, _code(secret))
        too_far = await _login(client, operator.email, _code(secret, 3))

        assert current.status_code == 201, current.text
        assert following.status_code == 201, following.text
        assert replayed.json() == ONE_TIME_CODE_REQUIRED
        assert earlier.json() == ONE_TIME_CODE_REQUIRED
        assert too_far.json() == ONE_TIME_CODE_REQUIRED

    async def test_a_recovery_code_logs_in_once_hyphens_and_letter_case_ignored(self, app, client):
        operator, enrolment = await _enrolled(app, client)
        code = enrolment["recoveryCodes"][3]

        first = await _login(client, operator.email, code.replace("-", "").lower())
        again = await _login(client, operator.email, code)
        another = await _login(client, operator.email, enrolment["recoveryCodes"][4])

        assert first.status_code == 201, first.text
        assert again.json() == ONE_TIME_CODE_REQUIRED
        assert another.status_code == 201

    async def test_without_mfa_an_otp_is_ignored(self, app, client):
        _, email = await seed_operator(app)

        response = await _login(client, email, "123456")

        assert response.status_code == 201

    async def test_the_token_endpoint_takes_the_code_as_a_form_field(self, app, client):
        operator, enrolment = await _enrolled(app, client)
        form = {"grant_type": "password", "username": operator.email, "password": OPERATOR_PASSWORD}

        missing = await client.post("/backoffice/token", data=form)
        granted = await client.post("/backoffice/token", data={**form, "otp": _code(enrolment["secret"], 1)})

        assert missing.status_code == 400
        assert missing.json() == {
            "error": "invalid_grant",
            "error_description": "Invalid or missing one-time code.",
        }
        assert granted.status_code == 200, granted.text


class TestRemoval:
    async def test_an_active_mfa_is_removed_with_a_code(self, app, client):
        operator, enrolment = await _enrolled(app, client)

        response = await client.request(
            "DELETE",
            "/backoffice/operator-mfa",
            json=_otp(_code(enrolment["secret"], 1)),
            headers={**operator.headers, "Content-Type": JSON_API},
        )

        assert response.status_code == 204
        assert not await _mfa_active(app, operator.id)
        assert (await _login(client, operator.email, None)).status_code == 201
        assert (await _audit_actions(app, operator.id))[-1] == "DELETE /backoffice/operator-mfa"

    async def test_removal_while_active_needs_a_right_code(self, app, client):
        operator, _ = await _enrolled(app, client)
        headers = {**operator.headers, "Content-Type": JSON_API}

        without_body = await client.delete("/backoffice/operator-mfa", headers=operator.headers)
        wrong = await client.request(
            "DELETE", "/backoffice/operator-mfa", json=_otp("ZZZZ-ZZZZ-ZZZZ-ZZZZ"), headers=headers
        )

        assert without_body.status_code == 422
        assert without_body.json() == {
            "errors": [error(422, "901", "otp => This field is missing.", "/data/attributes/otp")]
        }
        assert wrong.json() == CODE_INVALID
        assert await _mfa_active(app, operator.id)

    async def test_a_recovery_code_removes_it_too(self, app, client):
        operator, enrolment = await _enrolled(app, client)

        response = await client.request(
            "DELETE",
            "/backoffice/operator-mfa",
            json=_otp(enrolment["recoveryCodes"][0]),
            headers={**operator.headers, "Content-Type": JSON_API},
        )

        assert response.status_code == 204
        rows = await app.state.services.db.fetch_all(
            sa.text("SELECT digest FROM operator_recovery_codes WHERE operator_id = :id").bindparams(
                id=operator.id
            )
        )
        assert rows == []

    async def test_a_pending_enrolment_is_removed_without_a_code_and_nothing_is_a_no_op(self, app, client):
        operator = await logged_in_operator(app, client)

        nothing = await client.delete("/backoffice/operator-mfa", headers=operator.headers)
        await _enrol(client, operator)
        pending = await client.delete("/backoffice/operator-mfa", headers=operator.headers)

        assert nothing.status_code == pending.status_code == 204
        assert await _audit_actions(app, operator.id) == [
            "POST /backoffice/operator-mfa",
            "DELETE /backoffice/operator-mfa",
        ]
        assert (await _confirm(client, operator, "123456")).json() == CODE_INVALID


class TestReset:
    async def test_an_administrator_resets_another_operators_mfa_and_its_sessions_end(self, app, client):
        admin = await logged_in_operator(app, client)
        target, _ = await _enrolled(app, client)

        response = await client.delete(f"/backoffice/operators/{target.id}/mfa", headers=admin.headers)

        assert response.status_code == 204
        assert not await _mfa_active(app, target.id)
        ended = await client.get(f"/backoffice/operators/{target.id}", headers=target.headers)
        assert ended.json() == INVALID_TOKEN
        assert (await _login(client, target.email, None)).status_code == 201
        assert (await _audit_actions(app, admin.id)) == ["DELETE /backoffice/operators/{id}/mfa"]

    async def test_resetting_ones_own_mfa_is_1004_and_an_unknown_operator_1002(self, app, client):
        admin, _ = await _enrolled(app, client)

        own = await client.delete(f"/backoffice/operators/{admin.id}/mfa", headers=admin.headers)
        unknown = await client.delete(
            "/backoffice/operators/00000000-0000-4000-8000-00000000dead/mfa", headers=admin.headers
        )

        assert own.status_code == 422
        assert own.json() == {
            "errors": [error(422, "1004", "Operators cannot deactivate, delete, demote or reset themselves.")]
        }
        assert unknown.status_code == 404
        assert unknown.json() == {"errors": [error(404, "1002", "Operator not found.")]}
        assert await _mfa_active(app, admin.id)


class TestRequiredMfa:
    async def test_a_password_alone_opens_an_enrolment_only_session_ended_by_confirming(self, app_factory):
        app = app_factory(operator_mfa_required=True)
        async with _client_of(app) as client:
            operator = await logged_in_operator(app, client)

            refused = await client.get(f"/backoffice/operators/{operator.id}", headers=operator.headers)
            removal = await client.delete("/backoffice/operator-mfa", headers=operator.headers)
            enrolment = await _enrol(client, operator)
            confirmed = await _confirm(client, operator, _code(enrolment["secret"]))
            ended = await client.get(f"/backoffice/operators/{operator.id}", headers=operator.headers)
            without_code = await _login(client, operator.email, None)
            full = await _login(client, operator.email, _code(enrolment["secret"], 1))
            token = full.json()["data"]["attributes"]["accessToken"]
            allowed = await client.get(f"/backoffice/operators/{operator.id}", headers=bearer(token))

        assert refused.status_code == 403
        assert refused.json() == REFUSED
        assert removal.json() == REFUSED
        assert confirmed.status_code == 204
        assert ended.json() == INVALID_TOKEN
        assert without_code.json() == ONE_TIME_CODE_REQUIRED
        assert allowed.status_code == 200

    async def test_an_enrolment_only_session_may_log_out(self, app_factory):
        app = app_factory(operator_mfa_required=True)
        async with _client_of(app) as client:
            operator = await logged_in_operator(app, client)

            logged_out = await client.delete("/backoffice/refresh-tokens/mine", headers=operator.headers)
            after = await client.post("/backoffice/operator-mfa", headers=operator.headers)

        assert logged_out.status_code == 204
        assert after.json() == INVALID_TOKEN


async def test_a_new_mfa_key_voids_enrolments(app_factory):
    first = app_factory(operator_mfa_key="A" * 44)
    async with _client_of(first) as client:
        operator, enrolment = await _enrolled(first, client)
    second = app_factory(operator_mfa_key="B" * 44)
    async with _client_of(second) as client:
        response = await _login(client, operator.email, _code(enrolment["secret"], 1))

    assert response.json() == ONE_TIME_CODE_REQUIRED
