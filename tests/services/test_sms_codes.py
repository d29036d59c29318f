"""One-time text codes (BO §4.2) from the domain service: digits, single use, expiry, wrong tries
counted and committed, the newest only, the resend interval, no code at rest, races on PostgreSQL.
The activation and confirmation routes that send and check them build on this."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.clock import utc_now
from app.services.sms_codes import CodePurpose, CodeTooSoon
from app.settings import Settings, SettingsError
from app.tables import customers, sms_codes
from tests.helpers import register
from tests.mail_helpers import running_app

ACTIVATION = CodePurpose.ACTIVATION


async def customer_id(app, client) -> int:
    customer = await register(client)
    row = await app.state.services.db.fetch_one(
        sa.select(customers.c.id).where(customers.c.reference == customer["id"])
    )
    return int(row[0])


async def stored_codes(app) -> list[dict]:
    rows = await app.state.services.db.fetch_all(sa.select(sms_codes))
    return [dict(row._mapping) for row in rows]


def wrong(code: str) -> str:
    return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))


async def test_a_code_is_digits_works_once_and_is_not_stored(app_factory):
    async with running_app(app_factory, mail_worker_enabled=False) as (app, client):
        codes = app.state.services.sms_codes
        owner = await customer_id(app, client)
        code = await codes.issue(owner, ACTIVATION)
        assert len(code) == 6 and code.isdigit()
        (row,) = await stored_codes(app)
        assert code not in row["digest"] and len(row["digest"]) == 64
        assert await codes.consume(owner, ACTIVATION, code) is True
        assert await codes.consume(owner, ACTIVATION, code) is False
        assert await stored_codes(app) == []


async def test_a_code_holds_only_for_its_customer_and_purpose(app_factory):
    async with running_app(app_factory, mail_worker_enabled=False) as (app, client):
        codes = app.state.services.sms_codes
        owner, other = await customer_id(app, client), await customer_id(app, client)
        code = await codes.issue(owner, ACTIVATION)
        await codes.issue(other, CodePurpose.PHONE_CHANGE)
        assert await codes.consume(other, ACTIVATION, code) is False
        assert await codes.consume(owner, CodePurpose.PHONE_CHANGE, code) is False
        assert await codes.consume(owner, ACTIVATION, code) is True


async def test_wrong_tries_kill_the_code_and_stay_counted_when_the_caller_fails(app_factory):
    async with running_app(app_factory, mail_worker_enabled=False, sms_code_max_attempts=3) as (app, client):
        codes = app.state.services.sms_codes
        owner = await customer_id(app, client)
        code = await codes.issue(owner, ACTIVATION)

        class Refused(Exception):
            pass

        for _ in range(3):
            with pytest.raises(Refused):
                assert await codes.consume(owner, ACTIVATION, wrong(code)) is False
                raise Refused  # the caller answers 422: the count must survive it
        (row,) = await stored_codes(app)
        assert row["failed_attempts"] == 3
        assert await codes.consume(owner, ACTIVATION, code) is False


async def test_an_expired_code_fails(app_factory):
    async with running_app(app_factory, mail_worker_enabled=False, sms_code_ttl=60) as (app, client):
        codes = app.state.services.sms_codes
        owner = await customer_id(app, client)
        code = await codes.issue(owner, ACTIVATION)
        later = utc_now() + timedelta(seconds=61)
        assert await codes.consume(owner, ACTIVATION, code, now=later) is False
        assert await codes.consume(owner, ACTIVATION, code) is True


async def test_a_newer_code_replaces_the_older_after_the_resend_interval(app_factory):
    async with running_app(app_factory, mail_worker_enabled=False, sms_resend_interval=120) as (app, client):
        codes = app.state.services.sms_codes
        owner = await customer_id(app, client)
        now = utc_now()
        first = await codes.issue(owner, ACTIVATION, now=now)
        with pytest.raises(CodeTooSoon) as too_soon:
            await codes.issue(owner, ACTIVATION, now=now + timedelta(seconds=30))
        assert too_soon.value.retry_after_seconds == 90
        second = await codes.issue(owner, ACTIVATION, now=now + timedelta(seconds=121))
        if first != second:  # one in a million they coincide
            assert await codes.consume(owner, ACTIVATION, first, now=now + timedelta(seconds=122)) is False
        assert await codes.consume(owner, ACTIVATION, second, now=now + timedelta(seconds=122)) is True


@pytest.mark.parametrize("length", [4, 10])
async def test_the_code_length_is_a_setting(app_factory, length):
    async with running_app(app_factory, mail_worker_enabled=False, sms_code_length=length) as (app, client):
        code = await app.state.services.sms_codes.issue(await customer_id(app, client), ACTIVATION)
    assert len(code) == length and code.isdigit()


async def test_discard_drops_every_code_of_the_customer(app_factory):
    async with running_app(app_factory, mail_worker_enabled=False) as (app, client):
        codes = app.state.services.sms_codes
        owner, other = await customer_id(app, client), await customer_id(app, client)
        await codes.issue(owner, ACTIVATION)
        await codes.issue(owner, CodePurpose.PHONE_CHANGE)
        kept = await codes.issue(other, ACTIVATION)
        await codes.discard(owner)
        assert [row["customer_id"] for row in await stored_codes(app)] == [other]
        assert await codes.consume(other, ACTIVATION, kept) is True


async def test_parallel_checks_of_the_right_code_let_exactly_one_through(app_factory, is_postgres):
    if not is_postgres:
        pytest.skip("row locks between connections are a PostgreSQL matter; SQLite has one writer")
    async with running_app(app_factory, mail_worker_enabled=False, database_pool_size=10) as (app, client):
        codes = app.state.services.sms_codes
        owner = await customer_id(app, client)
        code = await codes.issue(owner, ACTIVATION)
        outcomes = await asyncio.gather(*(codes.consume(owner, ACTIVATION, code) for _ in range(8)))
    assert sorted(outcomes) == [False] * 7 + [True]


async def test_parallel_issues_within_the_interval_leave_one_code(app_factory, is_postgres):
    if not is_postgres:
        pytest.skip("concurrent upserts between connections are a PostgreSQL matter; SQLite has one writer")
    async with running_app(app_factory, mail_worker_enabled=False, database_pool_size=10) as (app, client):
        codes = app.state.services.sms_codes
        owner = await customer_id(app, client)

        async def issue() -> str | None:
            try:
                return await codes.issue(owner, ACTIVATION)
            except CodeTooSoon:
                return None

        issued = [code for code in await asyncio.gather(*(issue() for _ in range(8))) if code is not None]
        assert len(issued) == 1
        assert await codes.consume(owner, ACTIVATION, issued[0]) is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GLUE_SMS_CODE_LENGTH", "3", "GLUE_SMS_CODE_LENGTH must be between 4 and 10"),
        ("GLUE_SMS_CODE_LENGTH", "11", "GLUE_SMS_CODE_LENGTH must be between 4 and 10"),
        ("GLUE_SMS_CODE_TTL", "0", "GLUE_SMS_CODE_TTL must be positive"),
        ("GLUE_SMS_CODE_MAX_ATTEMPTS", "0", "GLUE_SMS_CODE_MAX_ATTEMPTS must be positive"),
        ("GLUE_SMS_RESEND_INTERVAL", "-1", "GLUE_SMS_RESEND_INTERVAL must not be negative"),
    ],
)
def test_bad_code_settings_stop_the_start(name, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_environment({name: value})
