"""Mail delivery against a real SMTP server (aiosmtpd, in process): the flow, outages, refusals,
several workers on one outbox, rollbacks, the standalone worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.database import Database
from app.mail import MailKind, Outbox, render_mail
from app.mail.worker import DeliveryWorker
from app.tables import mail_outbox
from tests.helpers import PASSWORD, bearer, document, patch, post, registered_customer, registration
from tests.mail_helpers import FAST_MAIL, SmtpServer, read_eml_files, running_app, text_of, token_of
from tests.servers import PROJECT
from tests.storefront.test_passwords import NEW_PASSWORD, forgot, login_status, restore_document


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def outbox_rows(app) -> list[dict]:
    found = await app.state.services.db.fetch_all(sa.select(mail_outbox).order_by(mail_outbox.c.id))
    return [dict(row._mapping) for row in found]


async def settled_rows(app, within: float = 10.0) -> list[dict]:
    """The outbox once no row is pending (a mail reaches the server just before its row is marked)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        rows = await outbox_rows(app)
        pending = [row for row in rows if row["sent_at"] is None and row["failed_at"] is None]
        if not pending or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.02)


async def test_forgotten_mail_restore_login_over_smtp(app_factory, smtp):
    async with running_app(app_factory, smtp_url=smtp.url) as (app, client):
        customer, tokens = await registered_customer(client)
        email = customer["attributes"]["email"]
        assert (await forgot(client, email)).status_code == 204
        (mail,) = await smtp.wait_for(1)
        assert mail["To"] == email
        assert mail["From"] == "Glue Customers <no-reply@localhost>"
        assert mail["Message-ID"]
        assert mail.get_body(("html",)) is not None
        response = await patch(client, "/customer-restore-password", restore_document(token_of(mail)))
        assert response.status_code == 204
        assert await login_status(client, email, NEW_PASSWORD) == 201
        assert await login_status(client, email, PASSWORD) == 401
        notices = await smtp.wait_for(2)
        assert notices[1]["Subject"] == "Your password was changed"
        assert (
            await client.get(f"/customers/{customer['id']}", headers=bearer(tokens["accessToken"]))
        ).status_code == 401
        rows = await settled_rows(app)
        assert [row["attempts"] for row in rows] == [1, 1]
        assert all(row["sent_at"] is not None for row in rows)
        # Delivered mail keeps no key in the database.
        assert all(row["text_body"] is None and row["html_body"] is None for row in rows)


async def test_smtp_outage_delays_mail_but_loses_none_and_doubles_none(app_factory, smtp):
    async with running_app(app_factory, smtp_url=smtp.url) as (app, client):
        emails = []
        for _ in range(20):
            customer = (await post(client, "/customers", document("customers", registration()))).json()
            emails.append(customer["data"]["attributes"]["email"])
        smtp.stop()
        for email in emails:
            assert (await forgot(client, email)).status_code == 204
        await asyncio.sleep(0.5)  # the worker tries and fails meanwhile
        failed = await outbox_rows(app)
        assert len(failed) == 20
        assert all(row["sent_at"] is None and row["attempts"] >= 1 for row in failed)
        assert all("unavailable" in row["last_error"] for row in failed)
        smtp.start()
        received = await smtp.wait_for(20)
        await asyncio.sleep(0.5)  # anything sent twice would arrive now
        rows = await settled_rows(app)
        received = smtp.messages
        assert sorted(str(mail["To"]) for mail in received) == sorted(emails)
        assert max(Counter(str(mail["Message-ID"]) for mail in received).values()) == 1
        assert all(row["sent_at"] is not None for row in rows)
        print(f"\noutage: 20 mails, attempts per mail {sorted(row['attempts'] for row in rows)}")


async def test_a_refusing_server_is_retried_with_backoff(app_factory, smtp):
    smtp.recorder.refuse_next = 3
    async with running_app(app_factory, smtp_url=smtp.url) as (app, client):
        customer, _ = await registered_customer(client)
        await forgot(client, customer["attributes"]["email"])
        (mail,) = await smtp.wait_for(1)
        (row,) = await settled_rows(app)
        assert row["attempts"] == 4
        assert row["sent_at"] is not None
        assert row["last_error"] is None


async def test_delivery_gives_up_after_the_last_attempt(app_factory, smtp):
    smtp.recorder.refuse_next = 100
    async with running_app(app_factory, smtp_url=smtp.url, mail_max_attempts=2) as (app, client):
        customer, _ = await registered_customer(client)
        await forgot(client, customer["attributes"]["email"])
        (row,) = await settled_rows(app)
        assert row["attempts"] == 2
        assert row["failed_at"] is not None
        assert "451" in row["last_error"]
        assert smtp.messages == []


async def test_a_rolled_back_change_sends_nothing(app_factory, settings):
    async with running_app(app_factory) as (app, _):
        services = app.state.services
        mail = render_mail(MailKind.PASSWORD_CHANGED, "someone@example.com", None, name="Someone", when="now")

        class Abort(Exception):
            pass

        with pytest.raises(Abort):
            async with services.db.transaction():
                await services.outbox.enqueue(mail)
                raise Abort
        services.outbox.wake()
        worker = DeliveryWorker(services.db, services.settings)
        await worker.drain()
        assert await outbox_rows(app) == []
        assert read_eml_files(settings.mail_directory) == []


async def test_two_workers_on_one_postgres_outbox_send_each_mail_once(
    app_factory, settings, smtp, is_postgres
):
    if not is_postgres:
        pytest.skip("row locks across processes are a PostgreSQL matter; SQLite runs one worker")
    worker_settings = replace(settings, smtp_url=smtp.url, mail_batch_size=5, **FAST_MAIL)
    async with running_app(app_factory, mail_worker_enabled=False) as (app, _):
        outbox: Outbox = app.state.services.outbox
        async with app.state.services.db.transaction():
            for number in range(60):
                await outbox.enqueue(
                    render_mail(
                        MailKind.PASSWORD_CHANGED, f"c{number}@example.com", None, name="C", when="now"
                    )
                )
        smtp.recorder.delay = 0.005  # keep batches in flight long enough to overlap
        databases = [Database(worker_settings) for _ in range(2)]
        for db in databases:
            await db.connect()
        try:
            workers = [
                DeliveryWorker(db, worker_settings, name=f"worker-{n}") for n, db in enumerate(databases)
            ]
            await asyncio.gather(*(worker.drain() for worker in workers))
        finally:
            for db in databases:
                await db.disconnect()
        received = smtp.messages
        assert len(received) == 60
        assert max(Counter(str(mail["Message-ID"]) for mail in received).values()) == 1
        rows = await outbox_rows(app)
        assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in rows)
        assert {row["claimed_by"] for row in rows} == {"worker-0", "worker-1"}


def test_the_worker_runs_on_its_own(settings, tmp_path: Path):
    """``python -m app.mail.worker --drain`` delivers what the app queued, as .eml files."""
    mail_directory = tmp_path / "standalone-mail"

    async def queue() -> None:
        db = Database(settings)
        await db.connect()
        try:
            await db.execute(sa.delete(mail_outbox))
            async with db.transaction():
                await Outbox(db, settings).enqueue(
                    render_mail(MailKind.PASSWORD_CHANGED, "solo@example.com", "de", name="Solo", when="now")
                )
        finally:
            await db.disconnect()

    asyncio.run(queue())
    environment = {
        **os.environ,
        "GLUE_DATABASE_URL": settings.database_url,
        "GLUE_MAIL_DIRECTORY": str(mail_directory),
    }
    subprocess.run(
        [sys.executable, "-m", "app.mail.worker", "--drain"],
        cwd=PROJECT,
        env=environment,
        check=True,
        timeout=60,
    )
    (mail,) = read_eml_files(mail_directory)
    assert mail["To"] == "solo@example.com"
    assert mail["Subject"] == "Ihr Passwort wurde geändert"
    assert "Hallo Solo" in text_of(mail)


async def test_two_worker_processes_on_one_postgres_outbox_send_each_mail_once(
    app_factory, settings, smtp, is_postgres
):
    if not is_postgres:
        pytest.skip("row locks across processes are a PostgreSQL matter; SQLite runs one worker")
    async with running_app(app_factory, mail_worker_enabled=False) as (app, _):
        async with app.state.services.db.transaction():
            for number in range(40):
                await app.state.services.outbox.enqueue(
                    render_mail(
                        MailKind.PASSWORD_CHANGED, f"p{number}@example.com", None, name="P", when="now"
                    )
                )
        smtp.recorder.delay = 0.03
        environment = {
            **os.environ,
            "GLUE_DATABASE_URL": settings.database_url,
            "GLUE_SMTP_URL": smtp.url,
            "GLUE_MAIL_BATCH_SIZE": "4",
        }
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app.mail.worker", "--drain", cwd=PROJECT, env=environment
            )
            for _ in range(2)
        ]
        assert [await asyncio.wait_for(process.wait(), 60) for process in processes] == [0, 0]
        received = smtp.messages
        assert len(received) == 40
        assert max(Counter(str(mail["Message-ID"]) for mail in received).values()) == 1
        rows = await outbox_rows(app)
        assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in rows)
        shares = sorted(Counter(row["claimed_by"] for row in rows).values())
        print(f"\nworker processes: mails per worker {shares}")
