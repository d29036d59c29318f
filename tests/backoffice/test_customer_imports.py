"""BO §4.7: bulk imports. The upload is checked as a whole (1030, nothing stored) and queued (202);
the jobs worker of the background loop creates the customers in batches through the back-office
creation (history, audit), reports every row, and resumes after a crash or on another instance
without a duplicate. Here the apps run without their own loop; each test drives the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app import jsonapi
from app.mail.worker import DeliveryWorker
from app.stores import Store
from app.tables import customer_imports
from errors import ApiError
from resources.backoffice.import_files import _row_loader
from schemas.backoffice.customer_imports import ImportRowSchema
from tests.backoffice.helpers import logged_in_operator
from tests.helpers import JSON_API, document, error, post
from tests.mail_helpers import SmtpServer, text_of, token_of

HEADER = "firstName,lastName,email,agreement1,phone,labels,companyName,companyTaxId,createdAt,active"
INVALID_DOCUMENT = error(400, "013", "Post data is invalid.")


def _file_invalid(reason: str) -> dict[str, Any]:
    return error(400, "1030", f"Import file is invalid: {reason}.")


@asynccontextmanager
async def _quiet_app(app_factory, **overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app whose background loop is off (the test runs the worker), its lifespan running."""
    application = app_factory(mail_worker_enabled=False, **overrides)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield application, client


def _worker(app, name: str) -> DeliveryWorker:
    services = app.state.services
    return DeliveryWorker(services.db, services.settings, services.outbox, name=name, jobs=services.imports)


async def _upload_csv(client, headers, text: str) -> httpx.Response:
    return await client.post(
        "/backoffice/customer-imports",
        content=text.encode("utf-8"),
        headers={**headers, "Content-Type": "text/csv"},
    )


async def _rows(client, headers, import_id: str, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(
        f"/backoffice/customer-imports/{import_id}/rows?page[limit]=100{query}", headers=headers
    )
    assert response.status_code == 200, response.text
    return [item["attributes"] for item in response.json()["data"]]


async def _count(app, sql: str, **params: Any) -> int:
    row = await app.state.services.db.fetch_one(sa.text(sql).bindparams(**params))
    return int(row[0])


async def _job(client, headers, import_id: str) -> dict[str, Any]:
    response = await client.get(f"/backoffice/customer-imports/{import_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["attributes"]


async def test_a_csv_import_creates_the_good_rows_and_reports_the_bad_ones(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        taken = await post(
            client,
            "/backoffice/customers",
            document(
                "customers",
                {"firstName": "Old", "lastName": "Timer", "email": "taken@example.com", "agreement1": True},
            ),
            headers=admin.headers,
        )
        assert taken.status_code == 201
        text = "\ufeff" + "\r\n".join(
            [
                HEADER,
                'Ada,Lovelace,ada@example.com,true,+49 151 11111111,"tier:gold;vip:",Analytical,DE-1,'
                "2020-05-01T10:00:00+00:00,true",
                "Grace,Hopper,grace@example.com,true,,,,,,false",
                "Dup,Store,taken@example.com,true,,,,,,",
                "Dup,File,ADA@example.com,true,,,,,,",
                "Bad,Phone,phone@example.com,true,12,,,,,",
                "No,Terms,terms@example.com,false,,,,,,",
                ",Blank,not-an-email,true,,,OnlyName,,yesterday,",
            ]
        )

        response = await _upload_csv(client, admin.headers, text)

        assert response.status_code == 202, response.text
        data = response.json()["data"]
        import_id = data["id"]
        assert response.headers["location"] == f"http://testserver/backoffice/customer-imports/{import_id}"
        assert data["attributes"]["status"] == "queued"
        assert data["attributes"]["total"] == 7
        assert data["attributes"]["processed"] == 0
        assert data["attributes"]["createdBy"] == admin.id
        assert data["links"]["rows"].endswith(f"/backoffice/customer-imports/{import_id}/rows")

        await _worker(app, "w1").drain()

        job = await _job(client, admin.headers, import_id)
        assert {
            name: job[name] for name in ("status", "format", "total", "processed", "succeeded", "failed")
        } == {
            "status": "completed",
            "format": "csv",
            "total": 7,
            "processed": 7,
            "succeeded": 2,
            "failed": 5,
        }
        assert job["startedAt"] is not None and job["finishedAt"] is not None
        rows = await _rows(client, admin.headers, import_id)
        assert [(row["row"], row["status"]) for row in rows] == [
            (1, "succeeded"),
            (2, "succeeded"),
            (3, "failed"),
            (4, "failed"),
            (5, "failed"),
            (6, "failed"),
            (7, "failed"),
        ]
        assert rows[0]["email"] == "ada@example.com" and rows[0]["customerReference"].startswith("DE--")
        assert rows[2]["errors"] == [error(422, "400", "Customer with this email already exists.")]
        assert rows[3]["errors"] == [error(422, "400", "Customer with this email already exists.")]
        assert rows[4]["errors"] == [
            {
                **error(422, "901", "phone => This value is not a valid phone number."),
                "source": {"pointer": "/phone"},
            }
        ]
        assert rows[5]["errors"] == [error(422, "422", "Terms of service were not accepted.")]
        assert sorted(problem["source"]["pointer"] for problem in rows[6]["errors"]) == [
            "/companyTaxId",
            "/createdAt",
            "/email",
            "/firstName",
        ]
        failed = await _rows(client, admin.headers, import_id, "&filter[status]=failed")
        assert [row["row"] for row in failed] == [3, 4, 5, 6, 7]

        ada = await client.get(f"/backoffice/customers/{rows[0]['customerReference']}", headers=admin.headers)
        attributes = ada.json()["data"]["attributes"]
        assert attributes["phone"] == "+4915111111111"
        assert attributes["labels"] == [{"key": "tier", "value": "gold"}, {"key": "vip", "value": ""}]
        assert attributes["company"] == {"name": "Analytical", "taxId": "DE-1"}
        assert attributes["createdAt"].startswith("2020-05-01T10:00:00")
        assert attributes["status"] == "active"
        grace = await client.get(
            f"/backoffice/customers/{rows[1]['customerReference']}", headers=admin.headers
        )
        assert grace.json()["data"]["attributes"]["status"] == "inactive"
        events = await app.state.services.db.fetch_all(
            sa.text(
                'SELECT actor_type, actor_id, "values" FROM customer_events'
                " WHERE event_type = 'CustomerWasRegistered' AND customer_reference = :r"
            ).bindparams(r=rows[0]["customerReference"])
        )
        assert [(row[0], row[1]) for row in events] == [("operator", admin.id)]
        assert '"channel": "import"' in str(events[0][2]).replace("'", '"')
        audited = await _count(
            app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'POST /backoffice/customer-imports'"
            " AND customer_reference IS NOT NULL AND operator_id = :operator",
            operator=admin.id,
        )
        assert audited == 2


async def test_a_json_import_ignores_unknown_members(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        body = document(
            "customer-imports",
            {
                "customers": [
                    {
                        "firstName": "Ada",
                        "lastName": "L",
                        "email": "a@example.com",
                        "agreement1": True,
                        "shoeSize": 9,
                    },
                    {
                        "firstName": "Bob",
                        "lastName": "B",
                        "email": "b@example.com",
                        "agreement1": True,
                        "levelId": "x",
                    },
                    {
                        "firstName": "Cy",
                        "lastName": "C",
                        "email": "c@example.com",
                        "agreement1": True,
                        "active": False,
                        "invite": True,
                    },
                ]
            },
        )
        response = await post(client, "/backoffice/customer-imports", body, headers=admin.headers)
        assert response.status_code == 202, response.text
        import_id = response.json()["data"]["id"]
        await _worker(app, "w1").drain()
        rows = await _rows(client, admin.headers, import_id)
        assert [row["status"] for row in rows] == ["succeeded", "failed", "failed"]
        assert rows[1]["errors"] == [
            {
                **error(422, "901", "levelId => The value you selected is not a valid choice."),
                "source": {"pointer": "/levelId"},
            }
        ]
        assert rows[2]["errors"] == [
            {
                **error(422, "901", "invite => An inactive customer cannot be invited."),
                "source": {"pointer": "/invite"},
            }
        ]
        assert (await _job(client, admin.headers, import_id))["format"] == "json"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "there is no header row"),
        ("firstName,lastName,email,agreement1\n", "there is no row"),
        (
            "firstName,lastName,email,agreement1,shoeSize\nA,B,a@example.com,true,9\n",
            'the column "shoeSize" is unknown',
        ),
        (
            "firstName,firstName,lastName,email,agreement1\nA,A,B,a@example.com,true\n",
            'the column "firstName" appears twice',
        ),
        ("firstName,lastName,agreement1\nA,B,true\n", 'the required column "email" is missing'),
        (
            "firstName,lastName,email,agreement1\nA,B,a@example.com\n",
            "record 1 has 3 fields where the header has 4",
        ),
        ('firstName,lastName,email,agreement1\n"A,B,a@example.com,true\n', "line 2 is not valid CSV"),
        (
            "firstName,lastName,email,agreement1\nA,B,a@example.com,true\nC,D,c@example.com,true\nE,F,e@example.com,true\n",
            "it has more than 2 rows",
        ),
    ],
)
async def test_a_bad_csv_file_is_refused_with_1030_and_nothing_is_stored(app_factory, text: str, reason: str):
    async with _quiet_app(app_factory, import_max_rows=2) as (app, client):
        admin = await logged_in_operator(app, client)
        response = await _upload_csv(client, admin.headers, text)
        assert response.status_code == 400, response.text
        assert response.json() == {"errors": [_file_invalid(reason)]}
        assert await _count(app, "SELECT COUNT(*) FROM customer_imports") == 0


async def test_undecodable_text_is_refused_with_1030(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        response = await client.post(
            "/backoffice/customer-imports",
            content=b"firstName,lastName,email,agreement1\n\xff\xfe,B,a@example.com,true\n",
            headers={**admin.headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 400
        assert response.json() == {"errors": [_file_invalid("the text is not UTF-8")]}
        assert await _count(app, "SELECT COUNT(*) FROM customer_imports") == 0


@pytest.mark.parametrize(
    ("customers", "reason"),
    [
        ("nope", "customers is not a list of objects"),
        ([1, 2], "customers is not a list of objects"),
        ([], "there is no row"),
        ([{"email": f"{index}@example.com"} for index in range(3)], "it has more than 2 rows"),
    ],
)
async def test_a_bad_json_import_is_refused_with_1030(app_factory, customers: Any, reason: str):
    async with _quiet_app(app_factory, import_max_rows=2) as (app, client):
        admin = await logged_in_operator(app, client)
        response = await post(
            client,
            "/backoffice/customer-imports",
            document("customer-imports", {"customers": customers}),
            headers=admin.headers,
        )
        assert response.status_code == 400
        assert response.json() == {"errors": [_file_invalid(reason)]}
        assert await _count(app, "SELECT COUNT(*) FROM customer_imports") == 0


async def test_other_media_types_and_oversized_uploads_are_refused(app_factory):
    async with _quiet_app(app_factory, import_body_limit=64) as (app, client):
        admin = await logged_in_operator(app, client)
        xml = await client.post(
            "/backoffice/customer-imports",
            content=b"<customers/>",
            headers={**admin.headers, "Content-Type": "text/xml"},
        )
        assert xml.status_code == 415
        assert xml.json() == {"errors": [error(415, "012", "Unsupported media type.")]}
        large = await _upload_csv(
            client, admin.headers, "firstName,lastName,email,agreement1\n" + "A,B,a@example.com,true\n" * 10
        )
        assert large.status_code == 413
        assert large.json() == {"errors": [error(413, "017", "Request body is too large.")]}
        assert await _count(app, "SELECT COUNT(*) FROM customer_imports") == 0


async def test_an_unknown_import_answers_1031(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        for path in ("/backoffice/customer-imports/nope", "/backoffice/customer-imports/nope/rows"):
            response = await client.get(path, headers=admin.headers)
            assert response.status_code == 404
            assert response.json() == {"errors": [error(404, "1031", "Import not found.")]}


async def test_a_store_limited_operator_sees_only_imports_of_its_stores(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        limited = await logged_in_operator(app, client, stores=["DE"])
        uploaded = await _upload_csv(
            client, admin.headers, "firstName,lastName,email,agreement1\nA,B,a@example.com,true\n"
        )
        import_id = uploaded.json()["data"]["id"]
        hidden = await client.get(f"/backoffice/customer-imports/{import_id}", headers=limited.headers)
        assert hidden.status_code == 404
        listed = await client.get("/backoffice/customer-imports", headers=limited.headers)
        assert listed.json()["data"] == []
        own = await _upload_csv(
            client, limited.headers, "firstName,lastName,email,agreement1\nC,D,c@example.com,true\n"
        )
        listed = await client.get("/backoffice/customer-imports", headers=limited.headers)
        assert [item["id"] for item in listed.json()["data"]] == [own.json()["data"]["id"]]
        everything = await client.get("/backoffice/customer-imports?page[limit]=1", headers=admin.headers)
        assert [item["id"] for item in everything.json()["data"]] == [own.json()["data"]["id"]]
        following = await client.get(everything.json()["links"]["next"], headers=admin.headers)
        assert [item["id"] for item in following.json()["data"]] == [import_id]


async def test_a_bad_row_status_filter_is_refused_with_011(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        uploaded = await _upload_csv(
            client, admin.headers, "firstName,lastName,email,agreement1\nA,B,a@example.com,true\n"
        )
        response = await client.get(
            f"/backoffice/customer-imports/{uploaded.json()['data']['id']}/rows?filter[status]=done",
            headers=admin.headers,
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "011"


def _many_rows(count: int) -> str:
    lines = ["firstName,lastName,email,agreement1"]
    lines += [f"First{index},Last{index},person{index}@example.com,true" for index in range(count)]
    # Two rows repeating earlier e-mails: they fail, wherever the batches are cut.
    lines += ["Again,Zero,person0@example.com,true", f"Again,Last,person{count - 1}@example.com,true"]
    return "\n".join(lines) + "\n"


async def test_a_worker_dying_mid_import_is_taken_over_without_duplicates(app_factory):
    async with _quiet_app(app_factory, import_batch_size=4) as (app, client):
        admin = await logged_in_operator(app, client)
        uploaded = await _upload_csv(client, admin.headers, _many_rows(10))
        import_id = uploaded.json()["data"]["id"]

        first = _worker(app, "first")
        assert await first.run_jobs() == 4  # one batch committed, then the worker "dies"
        progress = await _job(client, admin.headers, import_id)
        assert (progress["status"], progress["processed"], progress["succeeded"]) == ("running", 4, 4)

        second = _worker(app, "second")
        assert await second.run_jobs() == 0  # the first one's lease still holds
        # The first worker's lease lapses, as it does when nobody renews it.
        await app.state.services.db.execute(
            customer_imports.update().values(claimed_until=datetime(2000, 1, 1, tzinfo=UTC))
        )
        await second.drain()

        job = await _job(client, admin.headers, import_id)
        assert (job["status"], job["total"], job["processed"], job["succeeded"], job["failed"]) == (
            "completed",
            12,
            12,
            10,
            2,
        )
        assert await _count(app, "SELECT COUNT(*) FROM customers") == 10
        assert await _count(app, "SELECT COUNT(DISTINCT email_key) FROM customers") == 10
        assert (
            await _count(app, "SELECT COUNT(*) FROM customer_import_rows WHERE import_id = :i", i=import_id)
            == 12
        )
        assert await _count(app, "SELECT COUNT(*) FROM customer_imports WHERE source IS NOT NULL") == 0


async def test_two_app_instances_share_one_job_without_duplicates(app_factory, is_postgres: bool):
    if not is_postgres:
        pytest.skip("concurrent workers need PostgreSQL's row locks (SQLite has one writer)")
    async with (
        _quiet_app(app_factory, import_batch_size=3) as (app, client),
        _quiet_app(app_factory, import_batch_size=3) as (other, _),
    ):
        admin = await logged_in_operator(app, client)
        uploaded = await _upload_csv(client, admin.headers, _many_rows(30))
        import_id = uploaded.json()["data"]["id"]

        async def run(worker: DeliveryWorker) -> None:
            while await worker.run_jobs():
                pass

        await asyncio.gather(run(_worker(app, "one")), run(_worker(other, "two")))

        job = await _job(client, admin.headers, import_id)
        assert (job["status"], job["processed"], job["succeeded"], job["failed"]) == ("completed", 32, 30, 2)
        assert await _count(app, "SELECT COUNT(*) FROM customers") == 30
        assert (
            await _count(app, "SELECT COUNT(*) FROM customer_import_rows WHERE import_id = :i", i=import_id)
            == 32
        )


async def test_an_import_keeps_the_planner_statistics_of_the_tables_it_fills(app_factory, is_postgres: bool):
    """With statistics counting an empty table the planner probes a grown one by the wrong index
    (seconds per batch at 100,000 customers): a batch starting when customers holds over twice the
    rows its statistics count analyzes it first (autovacuum may lag or be off)."""
    if not is_postgres:
        pytest.skip("planner statistics are PostgreSQL's")
    async with _quiet_app(app_factory, import_batch_size=600) as (app, client):
        db = app.state.services.db
        await db.execute(sa.text("ANALYZE customers"))  # empty: its statistics count no row
        admin = await logged_in_operator(app, client)
        uploaded = await _upload_csv(client, admin.headers, _many_rows(1200))
        import_id = uploaded.json()["data"]["id"]
        worker = _worker(app, "one")
        assert await worker.run_jobs() == 600
        assert await worker.run_jobs() == 600
        live = "SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'customers'"
        for _ in range(300):  # the backends report their inserts within seconds; bounded wait
            if await _count(app, live) >= 1000:
                break
            await asyncio.sleep(0.1)
        counted = "SELECT reltuples::bigint FROM pg_class WHERE relname = 'customers'"
        assert await _count(app, counted) == 0
        assert await worker.run_jobs() == 2  # the last batch, after ANALYZE
        assert await _count(app, counted) >= 1000
        assert (await _job(client, admin.headers, import_id))["status"] == "completed"


async def test_the_background_loop_runs_an_import(app_factory):
    application = app_factory(mail_poll_interval=0.05)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            admin = await logged_in_operator(application, client)
            uploaded = await _upload_csv(
                client, admin.headers, "firstName,lastName,email,agreement1\nA,B,a@example.com,true\n"
            )
            import_id = uploaded.json()["data"]["id"]
            for _ in range(200):  # the loop is woken by the upload; bounded wait for its commit
                if (await _job(client, admin.headers, import_id))["status"] == "completed":
                    break
                await asyncio.sleep(0.05)
            job = await _job(client, admin.headers, import_id)
            assert (job["status"], job["succeeded"]) == ("completed", 1)


async def test_sellers_and_readers_may_not_import(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        reader = await logged_in_operator(app, client, permissions=("customers:read",))
        response = await client.post(
            "/backoffice/customer-imports",
            content=b"not even read",
            headers={**reader.headers, "Content-Type": JSON_API},
        )
        assert response.status_code == 403
        assert response.json() == {"errors": [error(403, "1000", "Insufficient permissions.")]}


async def test_anonymizing_and_erasing_a_customer_reach_its_import_rows(app_factory):
    async with _quiet_app(app_factory) as (app, client):
        admin = await logged_in_operator(app, client)
        uploaded = await _upload_csv(
            client,
            admin.headers,
            "firstName,lastName,email,agreement1\nA,B,a@example.com,true\nC,D,c@example.com,true\n",
        )
        import_id = uploaded.json()["data"]["id"]
        await _worker(app, "w1").drain()
        first, second = await _rows(client, admin.headers, import_id)
        export = await client.get(
            f"/backoffice/customers/{first['customerReference']}/data-export", headers=admin.headers
        )
        assert export.json()["data"]["attributes"]["importRows"] == [{"importId": import_id, "row": 1}]

        anonymized = await client.post(
            f"/backoffice/customers/{first['customerReference']}/anonymize", headers=admin.headers
        )
        erased = await client.delete(
            f"/backoffice/customers/{second['customerReference']}", headers=admin.headers
        )

        assert (anonymized.status_code, erased.status_code) == (204, 204)
        rows = await _rows(client, admin.headers, import_id)
        assert [(row["row"], row["email"], row["customerReference"]) for row in rows] == [
            (1, None, first["customerReference"])
        ]


# BO §4.3, §4.7: levelId (a manual level of the row's store) and invite (BO §4.2's invitation).
STORES = (
    Store("DE", "de_DE", ("de_DE", "en_GB"), "EUR", "Europe/Berlin"),
    Store("CH", "de_CH", ("de_CH", "fr_CH"), "CHF", "Europe/Zurich"),
)
UNKNOWN_LEVEL = {
    **error(422, "901", "levelId => The value you selected is not a valid choice."),
    "source": {"pointer": "/levelId"},
}
NOT_INVITED = {
    **error(422, "901", "invite => An inactive customer cannot be invited."),
    "source": {"pointer": "/invite"},
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer.running() as server:
        yield server


async def _level(client, headers, store: str, name: str) -> str:
    attributes = {"store": store, "name": name, "conditionValue": 100000, "rewardPercent": "5"}
    response = await post(client, "/backoffice/levels", document("levels", attributes), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def _customer(client, headers, reference: str) -> dict[str, Any]:
    response = await client.get(f"/backoffice/customers/{reference}", headers=headers)
    assert response.status_code == 200, response.text
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return attributes


async def _restore(client, token: str, password: str) -> httpx.Response:
    return await client.patch(
        "/customer-restore-password",
        json=document(
            "customer-restore-password",
            {"restorePasswordKey": token, "password": password, "confirmPassword": password},
        ),
        headers={"Content-Type": JSON_API},
    )


async def test_a_csv_import_assigns_manual_levels_of_the_rows_store_and_mails_invitations(app_factory, smtp):
    async with _quiet_app(app_factory, stores=STORES, smtp_url=smtp.url) as (app, client):
        admin = await logged_in_operator(app, client)
        gold = await _level(client, admin.headers, "DE", "Gold")
        swiss = await _level(client, admin.headers, "CH", "Edelweiss")
        text = "\n".join(
            [
                "store,firstName,lastName,email,agreement1,levelId,invite,active,locale",
                f"DE,Ada,Gold,ada@example.com,true,{gold},true,,en_GB",
                "DE,Bob,Nolevel,bob@example.com,true,no-such-level,,,",
                f"DE,Cy,Swiss,cy@example.com,true,{swiss},,,",
                f"CH,Di,Swiss,di@example.com,true,{swiss},,,",
                "DE,Ed,Inactive,ed@example.com,true,,true,false,",
                "DE,Flo,Plain,flo@example.com,true,,true,,",
                "DE,Gus,Quiet,gus@example.com,true,,false,,",
            ]
        )
        uploaded = await _upload_csv(client, admin.headers, text)
        assert uploaded.status_code == 202, uploaded.text
        import_id = uploaded.json()["data"]["id"]

        await _worker(app, "w1").drain()
        mails = await smtp.wait_for(2)

        rows = await _rows(client, admin.headers, import_id)
        assert [(row["row"], row["status"], row["errors"]) for row in rows] == [
            (1, "succeeded", []),
            (2, "failed", [UNKNOWN_LEVEL]),
            (3, "failed", [UNKNOWN_LEVEL]),  # another store's level
            (4, "succeeded", []),
            (5, "failed", [NOT_INVITED]),
            (6, "succeeded", []),
            (7, "succeeded", []),
        ]
        ada = await _customer(client, admin.headers, rows[0]["customerReference"])
        di = await _customer(client, admin.headers, rows[3]["customerReference"])
        flo = await _customer(client, admin.headers, rows[5]["customerReference"])
        assert (ada["levelId"], ada["manuallyAssignedLevel"]) == (gold, True)
        assert (di["store"], di["levelId"], di["manuallyAssignedLevel"]) == ("CH", swiss, True)
        assert (flo["levelId"], flo["manuallyAssignedLevel"]) == (None, False)
        registered = await client.get(
            f"/backoffice/customers/{rows[0]['customerReference']}/history"
            "?filter[eventType]=CustomerWasRegistered",
            headers=admin.headers,
        )
        [event] = [item["attributes"] for item in registered.json()["data"]]
        assert (event["values"]["levelId"], event["values"]["manuallyAssignedLevel"]) == (gold, True)
        assert {"levelId", "manuallyAssignedLevel"} <= set(event["changedFields"])
        assert await _count(app, "SELECT COUNT(*) FROM customers") == 4

        # Only the invited rows are mailed, each once, in the customer's language, with a key
        # that sets the first password.
        await asyncio.sleep(0.2)
        assert sorted(str(mail["To"]) for mail in smtp.messages) == ["ada@example.com", "flo@example.com"]
        by_recipient = {str(mail["To"]): mail for mail in mails}
        assert str(by_recipient["ada@example.com"]["Subject"]) == "Your new customer account"
        assert str(by_recipient["flo@example.com"]["Subject"]) == "Ihr neues Kundenkonto"
        assert "http://localhost:3000/password/restore?token=" in text_of(by_recipient["ada@example.com"])
        assert await _count(app, "SELECT COUNT(*) FROM restore_password_keys") == 2
        restored = await _restore(client, token_of(by_recipient["ada@example.com"]), "Imported-Horse-7")
        assert restored.status_code == 204, restored.text
        login = await post(
            client,
            "/access-tokens",
            document("access-tokens", {"username": "ada@example.com", "password": "Imported-Horse-7"}),
        )
        assert login.status_code == 201, login.text
        audit = await app.state.services.db.fetch_all(
            sa.text(
                "SELECT customer_reference, details FROM audit_events"
                " WHERE action = 'POST /backoffice/customer-imports' AND customer_reference IS NOT NULL"
            )
        )
        invited = {row[0] for row in audit if '"invite"' in str(row[1]).replace("'", '"')}
        assert invited == {rows[0]["customerReference"], rows[5]["customerReference"]}


async def test_a_json_import_assigns_levels_and_mails_invitations(app_factory, smtp):
    async with _quiet_app(app_factory, smtp_url=smtp.url) as (app, client):
        admin = await logged_in_operator(app, client)
        gold = await _level(client, admin.headers, "DE", "Gold")
        person = {"lastName": "Json", "agreement1": True}
        body = document(
            "customer-imports",
            {
                "customers": [
                    {
                        **person,
                        "firstName": "Ada",
                        "email": "ada@example.com",
                        "levelId": gold,
                        "invite": True,
                    },
                    {**person, "firstName": "Bob", "email": "bob@example.com", "levelId": "unknown"},
                    {
                        **person,
                        "firstName": "Cy",
                        "email": "cy@example.com",
                        "levelId": None,
                        "invite": False,
                    },
                    {**person, "firstName": "Di", "email": "di@example.com", "invite": True, "active": False},
                ]
            },
        )
        response = await post(client, "/backoffice/customer-imports", body, headers=admin.headers)
        assert response.status_code == 202, response.text
        import_id = response.json()["data"]["id"]

        await _worker(app, "w1").drain()
        [mail] = await smtp.wait_for(1)

        rows = await _rows(client, admin.headers, import_id)
        assert [(row["status"], row["errors"]) for row in rows] == [
            ("succeeded", []),
            ("failed", [UNKNOWN_LEVEL]),
            ("succeeded", []),
            ("failed", [NOT_INVITED]),
        ]
        ada = await _customer(client, admin.headers, rows[0]["customerReference"])
        cy = await _customer(client, admin.headers, rows[2]["customerReference"])
        assert (ada["levelId"], ada["manuallyAssignedLevel"]) == (gold, True)
        assert (cy["levelId"], cy["manuallyAssignedLevel"]) == (None, False)
        assert str(mail["To"]) == "ada@example.com"
        assert token_of(mail)
        assert await _count(app, "SELECT COUNT(*) FROM mail_outbox") == 1
        # The level has a manual holder now: it cannot be deleted (BO §4.3).
        refused = await client.delete(f"/backoffice/levels/{gold}", headers=admin.headers)
        assert refused.status_code == 422
        assert refused.json() == {"errors": [error(422, "1022", "Level is manually assigned to customers.")]}


_GOOD_ROW: dict[str, Any] = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": " Ada@Exämple.com ",
    "agreement1": True,
    "salutation": "Ms",
    "phone": "+49 151 11111111",
    "gender": "Female",
    "dateOfBirth": "1990-05-01",
    "locale": "de_DE",
    "loyaltyCardNumber": "CARD-1",
    "labels": [{"key": "tier", "value": "gold"}],
    "agreement2": True,
    "company": {"name": "Analytical", "taxId": "DE-1"},
    "store": "DE",
    "posId": "p",
    "sellerId": "s",
    "createdAt": "2020-05-01T10:00:00+02:00",
    "active": False,
    "invite": False,
    "levelId": "5d0c",
}
_BAD_VALUES: list[tuple[str, Any]] = [
    ("firstName", ""),
    ("firstName", None),
    ("firstName", "x" * 101),
    ("lastName", 7),
    ("email", "not-an-email"),
    ("email", "a@localhost"),
    ("email", ""),
    ("salutation", "Sir"),
    ("dateOfBirth", "2999-01-01"),
    ("dateOfBirth", "1990-1-5"),
    ("locale", " "),
    ("loyaltyCardNumber", "no spaces"),
    ("labels", [{"key": "bad key", "value": 1}, "x"]),
    ("labels", "tier:gold"),
    ("agreement2", "true"),
    ("company", {"name": "Only"}),
    ("store", ""),
    ("posId", "p" * 37),
    ("createdAt", "yesterday"),
    ("createdAt", "2020-05-01T10:00:00"),
    ("active", None),
    ("invite", 1),
    ("levelId", 5),
    ("shoeSize", 9),
]


@pytest.mark.parametrize(
    "attributes",
    [
        _GOOD_ROW,
        {"firstName": "A", "lastName": "B", "email": "a@example.com", "agreement1": True},
        {},
        *({**_GOOD_ROW, name: value} for name, value in _BAD_VALUES),
        {name: value for name, value in _GOOD_ROW.items() if name not in ("firstName", "email")},
    ],
)
def test_a_row_loads_through_the_compiled_schema_as_through_the_schema(attributes: dict[str, Any]) -> None:
    """One source of the rules: the worker's compiled load of a row answers what the creation's
    schema answers, values or every error."""

    def outcome(load: Any) -> Any:
        try:
            return load(attributes)
        except ApiError as refused:
            return [(problem.entry.code, problem.attribute, problem.detail) for problem in refused.problems]

    expected = outcome(lambda value: jsonapi.load_attributes(ImportRowSchema, "customers", value))
    assert outcome(_row_loader()) == expected
    assert expected  # a value or an error that could differ
