"""Texts through the outbox: queued in the change's transaction, delivered after commit as JSON files
or to a real local webhook (signed, retried on 408/429/5xx/timeouts, given up on other answers),
never lost and never sent twice by two workers."""

from __future__ import annotations

import asyncio
import json
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.database import Database
from app.mail import MailKind, render_mail
from app.mail.worker import DeliveryWorker
from app.settings import Settings, SettingsError
from app.sms import SmsKind, render_sms
from app.sms.transports import SIGNATURE_HEADER, signature
from app.tables import mail_outbox
from tests.mail_helpers import FAST_MAIL, read_eml_files, running_app
from tests.webhook_server import WebhookServer, webhook_server

SECRET = "a-shared-secret-of-the-sms-gateway"


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    with webhook_server() as server:
        yield server


async def outbox_rows(app) -> list[dict]:
    found = await app.state.services.db.fetch_all(sa.select(mail_outbox).order_by(mail_outbox.c.id))
    return [dict(row._mapping) for row in found]


async def queue_texts(app, *texts) -> None:
    services = app.state.services
    async with services.db.transaction():
        for text in texts:
            await services.outbox.enqueue_sms(text)


def activation(number: str = "+4915112345678", locale: str | None = None, code: str = "482913"):
    return render_sms(SmsKind.ACTIVATION_CODE, number, locale, code=code, minutes="30")


def text_files(directory: str | Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(Path(directory).glob("*.json"))]


async def drain_until_settled(worker: DeliveryWorker, app, within: float = 10.0) -> list[dict]:
    """Drain again and again (retries fall due after FAST_MAIL's short delays) until no row is pending."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        await worker.drain()
        rows = await outbox_rows(app)
        if all(row["sent_at"] or row["failed_at"] for row in rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"rows still pending: {rows}")
        await asyncio.sleep(0.05)


class TestFiles:
    async def test_a_committed_text_becomes_one_json_file_only_its_owner_may_read(
        self, app_factory, tmp_path
    ):
        directory = tmp_path / "sms"
        async with running_app(app_factory, mail_worker_enabled=False, sms_directory=str(directory)) as (
            app,
            _,
        ):
            await queue_texts(app, activation())
            (row,) = await outbox_rows(app)
            assert (row["channel"], row["recipient"], row["subject"]) == ("sms", "+4915112345678", None)
            await DeliveryWorker(app.state.services.db, app.state.services.settings).drain()
            (path,) = directory.glob("*.json")
            assert json.loads(path.read_text()) == {
                "messageId": row["message_id"],
                "to": "+4915112345678",
                "text": "482913 is your activation code. It is valid for 30 minutes.",
                "kind": "activation-code",
            }
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            (sent,) = await outbox_rows(app)
            # The text carries a code: once sent, only the fact remains.
            assert sent["sent_at"] is not None and sent["attempts"] == 1
            assert (sent["text_body"], sent["html_body"]) == (None, None)

    async def test_the_text_is_in_the_customers_language(self, app_factory, tmp_path):
        async with running_app(app_factory, mail_worker_enabled=False, sms_directory=str(tmp_path)) as (
            app,
            _,
        ):
            await queue_texts(app, activation("+41791234567", "de_CH"), activation("+33612345678", "fr_FR"))
            await DeliveryWorker(app.state.services.db, app.state.services.settings).drain()
            assert sorted(text["text"] for text in text_files(tmp_path)) == [
                "482913 is your activation code. It is valid for 30 minutes.",
                "482913 ist Ihr Aktivierungscode. Er ist 30 Minuten gültig.",
            ]

    async def test_a_rolled_back_change_sends_no_text(self, app_factory, tmp_path):
        async with running_app(app_factory, mail_worker_enabled=False, sms_directory=str(tmp_path)) as (
            app,
            _,
        ):
            services = app.state.services

            class Abort(Exception):
                pass

            with pytest.raises(Abort):
                async with services.db.transaction():
                    await services.outbox.enqueue_sms(activation())
                    raise Abort
            await DeliveryWorker(services.db, services.settings).drain()
            assert await outbox_rows(app) == []
            assert text_files(tmp_path) == []

    async def test_mail_and_texts_of_one_batch_each_reach_their_own_transport(self, app_factory, tmp_path):
        overrides = {"sms_directory": str(tmp_path / "sms"), "mail_directory": str(tmp_path / "mail")}
        async with running_app(app_factory, mail_worker_enabled=False, **overrides) as (app, _):
            services = app.state.services
            async with services.db.transaction():
                await services.outbox.enqueue_sms(activation(code="111111"))
                await services.outbox.enqueue(
                    render_mail(
                        MailKind.PASSWORD_CHANGED, "mixed@example.com", None, name="Mixed", when="now"
                    )
                )
                await services.outbox.enqueue_sms(activation("+4915187654321", code="222222"))
            assert await DeliveryWorker(services.db, services.settings).deliver_due() == 3
            assert sorted(text["to"] for text in text_files(tmp_path / "sms")) == [
                "+4915112345678",
                "+4915187654321",
            ]
            (mail,) = read_eml_files(tmp_path / "mail")
            assert mail["To"] == "mixed@example.com"
            assert all(row["sent_at"] is not None for row in await outbox_rows(app))

    async def test_the_running_app_delivers_texts_after_commit(self, app_factory, tmp_path):
        async with running_app(app_factory, sms_directory=str(tmp_path)) as (app, _):
            await queue_texts(app, activation())
            app.state.services.outbox.wake()
            for _ in range(500):  # up to 10 s
                if text_files(tmp_path):
                    break
                await asyncio.sleep(0.02)
            assert [text["to"] for text in text_files(tmp_path)] == ["+4915112345678"]


class TestWebhook:
    async def test_a_text_is_posted_once_signed_with_the_shared_secret(self, app_factory, webhook):
        overrides = {
            "sms_webhook_url": webhook.url,
            "sms_webhook_secret": SECRET,
            "mail_worker_enabled": False,
        }
        async with running_app(app_factory, **overrides) as (app, _):
            await queue_texts(app, activation())
            worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
            try:
                await worker.drain()
            finally:
                await worker.close()
            (row,) = await outbox_rows(app)
        (received,) = webhook.received
        assert received.path == "/sms"
        assert received.headers["content-type"] == "application/json"
        assert received.headers[SIGNATURE_HEADER.lower()] == signature(SECRET, received.body)
        assert json.loads(received.body) == {
            "messageId": row["message_id"],
            "to": "+4915112345678",
            "text": "482913 is your activation code. It is valid for 30 minutes.",
            "kind": "activation-code",
        }
        assert row["sent_at"] is not None and row["attempts"] == 1 and row["text_body"] is None

    async def test_without_a_secret_no_signature_is_sent(self, app_factory, webhook):
        async with running_app(app_factory, sms_webhook_url=webhook.url, mail_worker_enabled=False) as (
            app,
            _,
        ):
            await queue_texts(app, activation())
            worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
            await worker.drain()
            await worker.close()
        (received,) = webhook.received
        assert SIGNATURE_HEADER.lower() not in received.headers

    @pytest.mark.parametrize("failure", [500, 503, 408, 429, "hang"])
    async def test_a_passing_failure_is_retried_until_the_text_is_accepted(
        self, app_factory, webhook, failure
    ):
        webhook.plan = [failure, failure]
        webhook.hang_seconds = 1.0
        overrides = {
            "sms_webhook_url": webhook.url,
            "sms_webhook_timeout": 0.3,
            "mail_worker_enabled": False,
        }
        async with running_app(app_factory, **overrides) as (app, _):
            await queue_texts(app, activation())
            worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
            try:
                (row,) = await drain_until_settled(worker, app)
            finally:
                await worker.close()
        assert row["sent_at"] is not None and row["failed_at"] is None
        assert row["attempts"] == 3 and row["last_error"] is None
        # Every attempt carries the same messageId, so a gateway that saw a timed-out one can drop it.
        assert [json.loads(item.body)["messageId"] for item in webhook.received] == [row["message_id"]] * 3
        assert [item.answered for item in webhook.received] == [failure, failure, 200]

    @pytest.mark.parametrize("refusal", [400, 401, 404, 422])
    async def test_any_other_answer_gives_the_text_up_at_once(self, app_factory, webhook, refusal):
        webhook.plan = [refusal]
        async with running_app(app_factory, sms_webhook_url=webhook.url, mail_worker_enabled=False) as (
            app,
            _,
        ):
            await queue_texts(app, activation())
            worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
            try:
                await worker.drain()
                await asyncio.sleep(0.4)  # past every retry delay of FAST_MAIL
                await worker.drain()
            finally:
                await worker.close()
            (row,) = await outbox_rows(app)
        assert len(webhook.received) == 1
        assert row["sent_at"] is None and row["failed_at"] is not None and row["attempts"] == 1
        assert row["last_error"] == f"SMS webhook answered {refusal}"

    async def test_an_unreachable_gateway_loses_nothing(self, app_factory, tmp_path):
        """The gateway is down for the first attempt, then up on the same port: the text arrives once."""
        server = WebhookServer()
        port_url = server.url
        server.stop()  # bound, never served: connections are refused
        async with running_app(app_factory, sms_webhook_url=port_url, mail_worker_enabled=False) as (app, _):
            await queue_texts(app, activation())
            worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
            # One round: draining would try again as soon as the short retry delay is over.
            assert await worker.deliver_due() == 1
            (row,) = await outbox_rows(app)
            assert row["sent_at"] is None and row["attempts"] == 1
            assert row["last_error"].startswith("SMS webhook unreachable")
            revived = WebhookServer.on_port(int(port_url.rsplit(":", 1)[1].split("/")[0]))
            revived.start()
            try:
                (row,) = await drain_until_settled(worker, app)
            finally:
                revived.stop()
                await worker.close()
        assert row["sent_at"] is not None and row["attempts"] == 2
        assert [json.loads(item.body)["messageId"] for item in revived.received] == [row["message_id"]]

    async def test_two_workers_on_one_postgres_outbox_post_each_text_once(
        self, app_factory, settings, webhook, is_postgres
    ):
        if not is_postgres:
            pytest.skip("row locks across processes are a PostgreSQL matter; SQLite runs one worker")
        worker_settings = replace(settings, sms_webhook_url=webhook.url, mail_batch_size=4, **FAST_MAIL)
        async with running_app(app_factory, mail_worker_enabled=False) as (app, _):
            await queue_texts(app, *(activation(f"+49151000000{number:02d}") for number in range(40)))
            databases = [Database(worker_settings) for _ in range(2)]
            for db in databases:
                await db.connect()
            workers = [
                DeliveryWorker(db, worker_settings, name=f"worker-{n}") for n, db in enumerate(databases)
            ]
            try:
                await asyncio.gather(*(worker.drain() for worker in workers))
            finally:
                for worker, db in zip(workers, databases, strict=True):
                    await worker.close()
                    await db.disconnect()
            rows = await outbox_rows(app)
        message_ids = [json.loads(item.body)["messageId"] for item in webhook.received]
        assert len(message_ids) == 40 and max(Counter(message_ids).values()) == 1
        assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in rows)
        assert {row["claimed_by"] for row in rows} == {"worker-0", "worker-1"}


class TestSettings:
    @pytest.mark.parametrize(
        "url",
        [
            "http://sms.example/hook",  # plain http off this machine: codes in clear text
            "ftp://127.0.0.1/hook",
            "https://user:secret@sms.example/hook",
            "https://sms.example/hook#part",
            "https:///hook",
            "http://127.0.0.1:99999/hook",
        ],
    )
    def test_a_webhook_url_that_is_not_https_or_loopback_http_stops_the_start(self, url):
        with pytest.raises(SettingsError, match="GLUE_SMS_WEBHOOK_URL must be an https:// URL"):
            Settings.from_environment({"GLUE_SMS_WEBHOOK_URL": url})

    @pytest.mark.parametrize(
        "url",
        [
            "https://sms.example/hook?account=7",
            "http://127.0.0.1:8025/sms",
            "http://localhost/sms",
            "http://[::1]:80/",
        ],
    )
    def test_https_anywhere_and_http_to_this_machine_are_accepted(self, url):
        assert Settings.from_environment({"GLUE_SMS_WEBHOOK_URL": url}).sms_webhook_url == url

    def test_a_secret_without_a_webhook_stops_the_start(self):
        with pytest.raises(SettingsError, match="GLUE_SMS_WEBHOOK_SECRET needs GLUE_SMS_WEBHOOK_URL"):
            Settings.from_environment({"GLUE_SMS_WEBHOOK_SECRET": SECRET})

    def test_the_webhook_timeout_must_be_positive(self):
        with pytest.raises(SettingsError, match="GLUE_SMS_WEBHOOK_TIMEOUT must be positive"):
            Settings.from_environment({"GLUE_SMS_WEBHOOK_TIMEOUT": "0"})

    def test_the_secret_is_not_shown_with_the_settings(self):
        shown = repr(
            Settings.from_environment(
                {"GLUE_SMS_WEBHOOK_URL": "https://sms.example/", "GLUE_SMS_WEBHOOK_SECRET": SECRET}
            )
        )
        assert SECRET not in shown
