"""CB §5.2 at the HTTP level: the transition table as data, one parametrized test per row (from,
event, actor → to, the mails sent, the refusal), every refusal of row 15, enumeration safety of the
submission, its limiter, login before approval (1124), and the races of PostgreSQL: N parallel
transitions of one request, an approval against a registration of the same e-mail."""

from __future__ import annotations

import asyncio
import email
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.access_request_helpers import (
    confirm,
    create_company,
    create_symbol,
    decide,
    key_for,
    pending_request,
    request_row,
    submission,
    submit,
)
from tests.backoffice.helpers import Operator, logged_in_operator
from tests.helpers import PASSWORD, bearer, document, error, post, registered_customer
from tests.mail_helpers import read_eml_files, running_app

NOTIFY = "operators@example.com"
# English for the applicant (its locale en_US); the store's default language (German) for the
# operators and company admins.
SUBJECTS = {
    "ar-confirmation": "Confirm your access request",
    "ar-open": "Your access request is being processed",
    "ar-notice": "Neue Zugangsanfrage von",
    "ar-accepted": "Your access request for",
    "ar-awaiting-approval": "möchte ACME GmbH beitreten",
    "ar-approved": "Welcome to",
    "ar-declined": "Your access request was declined",
    "ar-invalid": "Your access request could not be completed",
}
CONFLICT = error(409, "1121", "The access request does not allow this in its current state.")


@dataclass
class World:
    """One store's back-office operator, a company with an active admin (a company token), and the
    mail directory; ``email`` is the applicant of the row under test."""

    app: Any
    client: httpx.AsyncClient
    directory: str
    operator: Operator
    company_id: str
    admin_email: str
    admin_headers: dict[str, str]
    email: str = ""
    seen: set[str] = field(default_factory=set)
    known_id: str = ""

    async def row(self) -> dict[str, Any]:
        """The applicant's request as stored (by its id once known: anonymization scrubs the e-mail)."""
        if not self.known_id:
            self.known_id = str((await request_row(self.app, self.email))["id"])
        found = await self.app.state.services.db.fetch_one(
            sa.text("SELECT * FROM access_requests WHERE id = :id").bindparams(id=self.known_id)
        )
        return dict(found._mapping)

    async def request_id(self) -> str:
        return str((await self.row())["id"])

    async def state(self) -> str:
        return str((await self.row())["state"])

    async def mark_mails(self) -> None:
        """From here on mails count as new (those queued so far have gone out first)."""
        db = self.app.state.services.db
        for _ in range(100):
            queued = await db.fetch_one(sa.text("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL"))
            if int(queued[0]) == 0:
                break
            await asyncio.sleep(0.05)
        self.seen = {str(path) for path in _eml_paths(self.directory)}

    async def new_mails(self, expected: int) -> list[tuple[str, str]]:
        """The mails sent since ``mark_mails``, as (kind, recipient role), once ``expected`` arrived
        (and a little longer, so that one too many shows)."""
        deadline = time.monotonic() + 5
        while len(self._fresh()) < expected and time.monotonic() < deadline:  # noqa: ASYNC110 - files
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        found = []
        for mail in self._fresh():
            subject, recipient = str(mail["Subject"]), str(mail["To"])
            kind = next((name for name, words in SUBJECTS.items() if words in subject), subject)
            role = {self.email: "applicant", self.admin_email: "admin", NOTIFY: "operators"}.get(
                recipient, recipient
            )
            found.append((kind, role))
        return sorted(found)

    def _fresh(self) -> list[Any]:
        return [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in _eml_paths(self.directory)
            if str(path) not in self.seen
        ]

    async def bo_decide(self, **attributes: Any) -> httpx.Response:
        return await decide(
            self.client,
            "/backoffice/access-requests",
            await self.request_id(),
            self.operator.headers,
            **attributes,
        )

    async def admin_decide(self, **attributes: Any) -> httpx.Response:
        return await decide(
            self.client, "/access-requests", await self.request_id(), self.admin_headers, **attributes
        )


def _eml_paths(directory: str) -> list[Path]:
    return sorted(Path(directory).glob("*.eml"))


async def _company_admin(
    client: httpx.AsyncClient, operator: Operator, company_id: str
) -> tuple[str, dict[str, str]]:
    customer, tokens = await registered_customer(client)
    email = customer["attributes"]["email"]
    body = document(
        "company-users",
        {"email": email, "salutation": "Mr", "firstName": "A", "lastName": "D", "role": "admin"},
    )
    linked = await post(
        client, f"/backoffice/companies/{company_id}/company-users", body, headers=operator.headers
    )
    assert linked.status_code == 201, linked.text
    issued = await post(
        client,
        "/company-user-access-tokens",
        document("company-user-access-tokens", {"idCompanyUser": linked.json()["data"]["id"]}),
        headers=bearer(tokens["accessToken"]),
    )
    assert issued.status_code == 201, issued.text
    return email, bearer(issued.json()["data"]["attributes"]["accessToken"])


async def _world(app: Any, client: httpx.AsyncClient, directory: str) -> World:
    operator = await logged_in_operator(app, client)
    company_id = await create_company(client, operator.headers)
    admin_email, admin_headers = await _company_admin(client, operator, company_id)
    return World(app, client, directory, operator, company_id, admin_email, admin_headers)


# The setups: bring a fresh applicant's request into a state (the world's company where it has one).


async def _unconfirmed(world: World) -> None:
    world.email = submission()["email"]
    assert (await submit(world.client, submission(email=world.email))).status_code == 204


async def _pending(world: World) -> None:
    world.email = await pending_request(world.client, world.directory)


async def _accepted(world: World) -> None:
    await _pending(world)
    accepted = await world.bo_decide(state="accepted", companyId=world.company_id)
    assert accepted.status_code == 200, accepted.text


async def _approved(world: World) -> None:
    await _accepted(world)
    assert (await world.bo_decide(state="approved")).status_code == 200


async def _declined(world: World) -> None:
    await _accepted(world)
    assert (await world.bo_decide(state="declined", reason="No.")).status_code == 200


async def _invalid(world: World) -> None:
    """Accepted, then its e-mail's customer deactivated: the approval makes it invalid."""
    await _accepted(world)
    await _deactivated_customer(world)
    approved = await world.bo_decide(state="approved")
    assert approved.json()["data"]["attributes"]["state"] == "invalid", approved.text


async def _deactivated_customer(world: World) -> None:
    customer, _ = await registered_customer(world.client, email=world.email)
    deactivated = await world.client.post(
        f"/backoffice/customers/{customer['id']}/deactivate", headers=world.operator.headers
    )
    assert deactivated.status_code in (200, 204), deactivated.text


SETUPS: dict[str, Callable[[World], Awaitable[None]]] = {
    "unconfirmed": _unconfirmed,
    "pending": _pending,
    "accepted": _accepted,
    "approved": _approved,
    "declined": _declined,
    "invalid": _invalid,
}


@dataclass(frozen=True)
class Row:
    number: str
    start: str  # a SETUPS key, or "none"
    event: str  # an EVENTS key
    end: str | None  # the state afterwards (None: nothing stored)
    mails: tuple[tuple[str, str], ...]  # (kind, recipient role), sorted
    status: int = 200
    refusal: dict[str, Any] | None = None
    invalid_reason: str | None = None


async def _submit_again(world: World) -> httpx.Response:
    return await submit(world.client, submission(email=world.email))


async def _submit_new(world: World) -> httpx.Response:
    world.email = submission()["email"]
    return await submit(world.client, submission(email=world.email))


async def _confirm(world: World) -> httpx.Response:
    return await confirm(world.client, await key_for(world.directory, world.email))


async def _confirm_with_code(world: World, auto_approve: bool) -> httpx.Response:
    await create_symbol(
        world.client, world.operator.headers, world.company_id, value="ROW-CODE", autoApprove=auto_approve
    )
    world.email = submission()["email"]
    assert (
        await submit(world.client, submission(email=world.email, requestCode="row-code"))
    ).status_code == 204
    key = await key_for(world.directory, world.email)
    await world.mark_mails()
    return await confirm(world.client, key)


async def _already_member(world: World) -> httpx.Response:
    body = document(
        "company-users", {"email": world.email, "salutation": "Ms", "firstName": "G", "lastName": "H"}
    )
    linked = await post(
        world.client,
        f"/backoffice/companies/{world.company_id}/company-users",
        body,
        headers=world.operator.headers,
    )
    assert linked.status_code == 201, linked.text
    await world.mark_mails()
    return await world.bo_decide(state="accepted", companyId=world.company_id)


async def _company_inactive(world: World) -> httpx.Response:
    changed = await world.client.patch(
        f"/backoffice/companies/{world.company_id}",
        json=document("companies", {"isActive": False}, world.company_id),
        headers={**world.operator.headers, "Content-Type": "application/vnd.api+json"},
    )
    assert changed.status_code == 200, changed.text
    return await world.bo_decide(state="approved")


async def _account_inactive(world: World) -> httpx.Response:
    await _deactivated_customer(world)
    await world.mark_mails()
    return await world.bo_decide(state="approved")


async def _anonymized(world: World) -> httpx.Response:
    customer, _ = await registered_customer(world.client, email=world.email)
    await world.mark_mails()
    response = await world.client.post(
        f"/backoffice/customers/{customer['id']}/anonymize", headers=world.operator.headers
    )
    return response


EVENTS: dict[str, Callable[[World], Awaitable[httpx.Response]]] = {
    "submit": _submit_new,
    "submit again": _submit_again,
    "confirm": _confirm,
    "confirm, code": lambda world: _confirm_with_code(world, False),
    "confirm, auto-approving code": lambda world: _confirm_with_code(world, True),
    "BO accept": lambda world: world.bo_decide(state="accepted", companyId=world.company_id),
    "BO approve into company": lambda world: world.bo_decide(state="approved", companyId=world.company_id),
    "BO approve": lambda world: world.bo_decide(state="approved"),
    "admin approve": lambda world: world.admin_decide(state="approved"),
    "BO decline": lambda world: world.bo_decide(state="declined", reason="Not <known> to us."),
    "admin decline": lambda world: world.admin_decide(state="declined", reason="Not <known> to us."),
    "already a member": _already_member,
    "company inactive": _company_inactive,
    "account inactive": _account_inactive,
    "anonymized": _anonymized,
}
APPLICANT = "applicant"
ACCEPTED_MAILS = (("ar-accepted", APPLICANT), ("ar-awaiting-approval", "admin"))
TABLE = [
    Row("1", "none", "submit", "unconfirmed", (("ar-confirmation", APPLICANT),), 204),
    Row("2", "unconfirmed", "submit again", "unconfirmed", (("ar-confirmation", APPLICANT),), 204),
    Row("3", "pending", "submit again", "pending", (("ar-open", APPLICANT),), 204),
    Row("3", "accepted", "submit again", "accepted", (("ar-open", APPLICANT),), 204),
    Row("4", "unconfirmed", "confirm", "pending", (("ar-notice", "operators"),), 204),
    Row("5", "none", "confirm, code", "accepted", ACCEPTED_MAILS, 204),
    Row("6", "none", "confirm, auto-approving code", "approved", (("ar-approved", APPLICANT),), 204),
    Row("7", "pending", "BO accept", "accepted", ACCEPTED_MAILS),
    Row("8", "pending", "BO approve into company", "approved", (("ar-approved", APPLICANT),)),
    Row("9", "accepted", "admin approve", "approved", (("ar-approved", APPLICANT),)),
    Row("9", "accepted", "BO approve", "approved", (("ar-approved", APPLICANT),)),
    Row("10", "pending", "BO decline", "declined", (("ar-declined", APPLICANT),)),
    Row("11", "accepted", "admin decline", "declined", (("ar-declined", APPLICANT),)),
    Row("11", "accepted", "BO decline", "declined", (("ar-declined", APPLICANT),)),
    Row(
        "12",
        "pending",
        "already a member",
        "invalid",
        (("ar-invalid", APPLICANT),),
        invalid_reason="already-member",
    ),
    Row(
        "13",
        "accepted",
        "company inactive",
        "invalid",
        (("ar-invalid", APPLICANT),),
        invalid_reason="company-inactive",
    ),
    Row(
        "13",
        "accepted",
        "account inactive",
        "invalid",
        (("ar-invalid", APPLICANT),),
        invalid_reason="account-inactive",
    ),
    Row("14", "pending", "anonymized", "invalid", (), 204, invalid_reason="withdrawn"),
    *(
        Row(
            "15",
            final,
            event,
            final,
            (),
            409,
            {"errors": [CONFLICT]},
            "account-inactive" if final == "invalid" else None,
        )
        for final in ("approved", "declined", "invalid")
        for event in ("BO accept", "BO approve", "admin approve", "BO decline", "admin decline")
    ),
    Row(
        "15",
        "pending",
        "admin approve",
        "pending",
        (),
        404,
        {"errors": [error(404, "1120", "Access request not found.")]},
    ),
    Row("15", "accepted", "BO accept", "accepted", (), 409, {"errors": [CONFLICT]}),
]


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=f"{row.number}: {row.start} --{row.event}--> {row.end}") for row in TABLE]
)
async def test_the_transition_table(app_factory, settings, row: Row):
    async with running_app(app_factory, access_request_notify=(NOTIFY,)) as (app, client):
        world = await _world(app, client, settings.mail_directory)
        if row.start != "none":
            await SETUPS[row.start](world)
            await world.row()  # its id, before an event may scrub its e-mail
        await world.mark_mails()
        before = await _counts(app)

        response = await EVENTS[row.event](world)

        assert response.status_code == row.status, response.text
        if row.refusal is not None:
            assert response.json() == row.refusal
            assert await _counts(app) == before  # nothing written
        assert await world.state() == row.end
        stored = await world.row()
        assert stored["invalid_reason"] == row.invalid_reason
        if row.end in ("approved", "declined", "invalid"):
            assert stored["password_hash"] is None  # a final state erases it
        assert await world.new_mails(len(row.mails)) == sorted(row.mails)


async def _counts(app: Any) -> dict[str, int]:
    db = app.state.services.db
    counts = {}
    for table in ("access_requests", "access_request_events", "customers", "company_users", "mail_outbox"):
        counts[table] = int((await db.fetch_one(sa.text(f"SELECT COUNT(*) FROM {table}")))[0])  # noqa: S608
    return counts


class TestSubmission:
    async def test_answers_and_work_are_the_same_whatever_exists(self, app_factory, settings):
        """A new e-mail, a customer's, an unconfirmed and a pending request's: 204, an empty body,
        and no sooner than the floor (the forgotten-password check's method)."""
        async with running_app(app_factory, forgotten_password_min_seconds=0.15) as (app, client):
            customer, _ = await registered_customer(client)
            unconfirmed = submission()["email"]
            await submit(client, submission(email=unconfirmed))
            pending = await pending_request(client, settings.mail_directory)
            for address in ("nobody@example.com", customer["attributes"]["email"], unconfirmed, pending):
                started = time.monotonic()
                response = await submit(client, submission(email=address))
                assert time.monotonic() - started >= 0.15
                assert (response.status_code, response.content) == (204, b"")

    async def test_every_submission_hashes_the_password(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            pending = await pending_request(client, settings.mail_directory)
            hasher = app.state.services.hasher
            calls = []
            original = hasher.hash_password

            async def counted(password: str) -> str:
                calls.append(password)
                return await original(password)

            hasher.hash_password = counted
            for address in ("nobody@example.com", pending):
                assert (await submit(client, submission(email=address))).status_code == 204
            assert len(calls) == 2

    async def test_refusals_write_nothing(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            before = await _counts(app)
            cases = [
                (submission(acceptedTerms=False), error(422, "422", "Terms of service were not accepted.")),
                (
                    submission(confirmPassword="Other-Horse-7"),
                    error(
                        422,
                        "406",
                        "Value in field password should be identical to value in the confirmPassword field.",
                    ),
                ),
                (submission(requestCode="NO-SUCH-CODE"), error(422, "1123", "Request code is not valid.")),
                (submission(requestCode="short"), error(422, "1123", "Request code is not valid.")),
                (
                    submission(email="not-an-email"),
                    error(
                        422,
                        "901",
                        "email => This value is not a valid email address.",
                        "/data/attributes/email",
                    ),
                ),
                (
                    submission(locale="xx_XX"),
                    error(
                        422,
                        "901",
                        "locale => The value you selected is not a valid choice.",
                        "/data/attributes/locale",
                    ),
                ),
                (
                    submission(confirmationBaseUrl="https://evil.example/confirm"),
                    error(
                        422,
                        "901",
                        "confirmationBaseUrl => The value you selected is not a valid choice.",
                        "/data/attributes/confirmationBaseUrl",
                    ),
                ),
            ]
            for attributes, expected in cases:
                response = await submit(client, attributes)
                assert response.json() == {"errors": [expected]}, attributes
            assert await _counts(app) == before

    async def test_an_inactive_expired_or_used_up_code_is_1123(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            operator = await logged_in_operator(app, client)
            company = await create_company(client, operator.headers)
            await create_symbol(client, operator.headers, company, value="OFF-CODE", isActive=False)
            await create_symbol(
                client, operator.headers, company, value="OLD-CODE", expiresAt="2020-01-01T00:00:00Z"
            )
            await create_symbol(client, operator.headers, company, value="ONE-CODE", maxUses=1)
            inactive_company = await create_company(client, operator.headers, isActive=False)
            await create_symbol(client, operator.headers, inactive_company, value="DEAD-CODE")
            await pending_request(client, settings.mail_directory, requestCode="one-code")  # uses it up
            for code in ("off-code", "old-code", "one-code", "dead-code"):
                response = await submit(client, submission(requestCode=code))
                assert response.json() == {"errors": [error(422, "1123", "Request code is not valid.")]}, code

    async def test_the_address_limiter_is_1125_with_retry_after_before_validation(self, app_factory):
        async with running_app(app_factory, access_request_limit_per_address=2) as (app, client):
            for _ in range(2):
                assert (await submit(client, submission())).status_code == 204
            before = await _counts(app)
            refused = await submit(client, {"email": "not even valid"})
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) > 0
            assert refused.json() == {
                "errors": [
                    error(
                        429,
                        "1125",
                        "Too many access requests from your address. "
                        "Please wait 60 minutes before trying again.",
                    )
                ]
            }
            assert await _counts(app) == before
            assert (await post(client, "/access-requests", {"data": "no"})).status_code == 400  # shape first

    async def test_over_the_per_email_limit_nothing_is_stored_or_sent(self, app_factory, settings):
        async with running_app(app_factory, access_request_limit_per_email=2) as (app, client):
            email = submission()["email"]
            statuses = [(await submit(client, submission(email=email))).status_code for _ in range(4)]
            assert statuses == [204] * 4
            rows = await app.state.services.db.fetch_all(
                sa.text("SELECT event_type FROM access_request_events")
            )
            assert len(rows) == 2
            await asyncio.sleep(0.3)
            assert len(read_eml_files(settings.mail_directory)) == 2

    async def test_a_superseded_or_used_key_is_1122(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            email = submission()["email"]
            await submit(client, submission(email=email))
            first = await key_for(settings.mail_directory, email)
            await submit(client, submission(email=email))
            second = await key_for(settings.mail_directory, email, known=(first,))
            invalid = {
                "errors": [
                    error(
                        422,
                        "1122",
                        "This access request confirmation key is invalid or has been already used.",
                    )
                ]
            }
            assert (await confirm(client, first)).json() == invalid
            assert (await confirm(client, second)).status_code == 204
            assert (await confirm(client, second)).json() == invalid

    async def test_the_worker_deletes_expired_unconfirmed_requests(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            email = submission()["email"]
            await submit(client, submission(email=email))
            kept = await pending_request(client, settings.mail_directory)
            await app.state.services.db.execute(
                sa.text(
                    "UPDATE access_requests SET key_expires_at = '2020-01-01 00:00:00' WHERE email = :e"
                ).bindparams(e=email)
            )
            from app.mail.worker import DeliveryWorker

            worker = DeliveryWorker(app.state.services.db, app.state.services.settings)
            assert await worker.sweep_expired_access_requests() == 1
            emails = [
                row[0]
                for row in await app.state.services.db.fetch_all(sa.text("SELECT email FROM access_requests"))
            ]
            assert emails == [kept]


class TestDomainsAndApproval:
    async def test_a_domain_symbol_accepts_a_confirmed_address_and_approval_creates_the_customer(
        self, app_factory, settings
    ):
        async with running_app(app_factory) as (app, client):
            world = await _world(app, client, settings.mail_directory)
            await create_symbol(
                client,
                world.operator.headers,
                world.company_id,
                kind="email-domain",
                value="ACME.example",
                role="admin",
            )
            world.email = await pending_request(client, settings.mail_directory, email="jane@acme.example")
            stored = await request_row(app, world.email)
            assert (stored["state"], stored["company_id"], stored["role"]) == (
                "accepted",
                world.company_id,
                "admin",
            )
            sub = await pending_request(client, settings.mail_directory, email="joe@sub.acme.example")
            assert (await request_row(app, sub))["state"] == "pending"  # no subdomains

            approved = await world.admin_decide(state="approved")
            assert approved.status_code == 200, approved.text
            login = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": world.email, "password": PASSWORD}),
            )
            assert login.status_code == 201, login.text
            events = await app.state.services.db.fetch_all(
                sa.text('SELECT event_type, "values" FROM customer_events ORDER BY id DESC LIMIT 2')
            )
            assert [event[0] for event in events] == ["CompanyUserWasCreated", "CustomerWasRegistered"]
            assert '"access-request"' in str(events[1][1]).replace("'", '"')

    async def test_an_existing_customer_keeps_its_password(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            world = await _world(app, client, settings.mail_directory)
            customer, _ = await registered_customer(
                client, password="Existing-Horse-9", confirmPassword="Existing-Horse-9"
            )
            world.email = customer["attributes"]["email"]
            await pending_request(client, settings.mail_directory, email=world.email)
            await world.bo_decide(state="approved", companyId=world.company_id)
            login = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": world.email, "password": PASSWORD}),
            )
            assert login.json() == {"errors": [error(401, "003", "Failed to authenticate user.")]}
            mine = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": world.email, "password": "Existing-Horse-9"}),
            )
            assert mine.status_code == 201

    async def test_the_backoffice_refuses_an_unknown_or_inactive_company_and_bad_bodies(
        self, app_factory, settings
    ):
        async with running_app(app_factory) as (app, client):
            world = await _world(app, client, settings.mail_directory)
            world.email = await pending_request(client, settings.mail_directory)
            inactive = await create_company(client, world.operator.headers, isActive=False)
            cases = [
                (
                    {"state": "accepted", "companyId": "00000000-0000-4000-8000-000000000000"},
                    error(422, "1110", "Company not found in this store."),
                ),
                ({"state": "accepted", "companyId": inactive}, error(422, "1109", "Company is not active.")),
                (
                    {"state": "accepted"},
                    error(422, "901", "companyId => This field is missing.", "/data/attributes/companyId"),
                ),
                (
                    {"state": "declined"},
                    error(422, "901", "reason => This field is missing.", "/data/attributes/reason"),
                ),
                (
                    {"state": "declined", "reason": "x", "companyId": world.company_id},
                    error(
                        422, "901", "companyId => This field was not expected.", "/data/attributes/companyId"
                    ),
                ),
                (
                    {"state": "pending"},
                    error(
                        422,
                        "901",
                        "state => The value you selected is not a valid choice.",
                        "/data/attributes/state",
                    ),
                ),
            ]
            before = await _counts(app)
            for attributes, expected in cases:
                response = await world.bo_decide(**attributes)
                assert response.json() == {"errors": [expected]}, attributes
            assert await _counts(app) == before


class TestLoginBeforeApproval:
    async def test_an_open_requests_password_is_1124_and_oauth_says_so(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            email = await pending_request(client, settings.mail_directory)
            body = document("access-tokens", {"username": email, "password": PASSWORD})
            refused = await post(client, "/access-tokens", body)
            assert refused.status_code == 401
            assert refused.json() == {
                "errors": [error(401, "1124", "Your access request has not been approved yet.")]
            }
            wrong = await post(
                client,
                "/access-tokens",
                document("access-tokens", {"username": email, "password": "Wrong-Horse-1"}),
            )
            assert wrong.json() == {"errors": [error(401, "003", "Failed to authenticate user.")]}
            oauth = await client.post(
                "/token", data={"grant_type": "password", "username": email, "password": PASSWORD}
            )
            assert oauth.status_code == 400
            assert oauth.json() == {
                "error": "invalid_grant",
                "error_description": "Your access request has not been approved yet.",
            }

    async def test_it_is_counted_by_the_login_limiter(self, app_factory, settings):
        async with running_app(app_factory, login_limit_per_account=2) as (app, client):
            email = await pending_request(client, settings.mail_directory)
            body = document("access-tokens", {"username": email, "password": PASSWORD})
            codes = [
                (await post(client, "/access-tokens", body)).json()["errors"][0]["code"] for _ in range(3)
            ]
            assert codes == ["1124", "1124", "4401"]


@pytest.mark.slow
class TestConcurrency:
    async def test_of_n_parallel_transitions_exactly_one_commits(self, app_factory, settings, is_postgres):
        if not is_postgres:
            pytest.skip("SQLite writes one at a time: no race to lose")
        async with running_app(app_factory) as (app, client):
            world = await _world(app, client, settings.mail_directory)
            await _accepted(world)
            await asyncio.sleep(0.3)
            await world.mark_mails()
            attempts = [world.admin_decide(state="approved") for _ in range(4)] + [
                world.bo_decide(state="declined", reason="No.") for _ in range(4)
            ]
            responses = await asyncio.gather(*attempts)
            statuses = sorted(response.status_code for response in responses)
            assert statuses == [200] + [409] * 7, [response.text for response in responses]
            for response in responses:
                if response.status_code == 409:
                    assert response.json() == {"errors": [CONFLICT]}
            events = await app.state.services.db.fetch_all(
                sa.text(
                    "SELECT event_type FROM access_request_events WHERE event_type IN "
                    "('AccessRequestWasApproved', 'AccessRequestWasDeclined')"
                )
            )
            assert len(events) == 1
            users = await app.state.services.db.fetch_one(sa.text("SELECT COUNT(*) FROM company_users"))
            expected_users = 2 if events[0][0] == "AccessRequestWasApproved" else 1  # the admin's own
            assert int(users[0]) == expected_users
            assert len(await world.new_mails(1)) == 1

    async def test_an_approval_losing_to_a_registration_is_1121_and_a_retry_uses_the_customer(
        self, app_factory, settings, is_postgres
    ):
        if not is_postgres:
            pytest.skip("SQLite writes one at a time: no race to lose")
        async with running_app(app_factory) as (app, client):
            world = await _world(app, client, settings.mail_directory)
            await _accepted(world)
            db = app.state.services.db
            request_id = await world.request_id()
            from app.emails import email_key

            inserted, release = asyncio.Event(), asyncio.Event()

            async def registration() -> None:
                # The registration's row is written and held uncommitted while the approval runs.
                async with db.transaction():
                    await db.execute(
                        sa.text(
                            "INSERT INTO customers (store, reference, email, email_key, created_at, "
                            "updated_at) VALUES ('DE', 'DE--9999', :email, :key, now(), now())"
                        ).bindparams(email=world.email, key=email_key(world.email))
                    )
                    inserted.set()
                    await release.wait()

            registering = asyncio.create_task(registration())
            await inserted.wait()
            approval = asyncio.create_task(world.admin_decide(state="approved"))
            await asyncio.sleep(0.5)
            release.set()
            await registering
            response = await approval
            assert response.json() == {"errors": [CONFLICT]}
            assert (await request_row(app, world.email))["state"] == "accepted"
            retried = await decide(
                client, "/access-requests", request_id, world.admin_headers, state="approved"
            )
            assert retried.status_code == 200, retried.text
            user = await db.fetch_one(
                sa.text(
                    "SELECT c.reference FROM company_users u JOIN customers c ON c.id = u.customer_id "
                    "WHERE c.email = :email"
                ).bindparams(email=world.email)
            )
            assert user[0] == "DE--9999"


class TestErasure:
    async def test_erasing_the_customer_deletes_the_requests_of_its_email(self, app_factory, settings):
        async with running_app(app_factory) as (app, client):
            world = await _world(app, client, settings.mail_directory)
            world.email = await pending_request(client, settings.mail_directory)
            kept = await pending_request(client, settings.mail_directory)
            customer, _ = await registered_customer(client, email=world.email)
            erased = await client.delete(
                f"/backoffice/customers/{customer['id']}", headers=world.operator.headers
            )
            assert erased.status_code == 204, erased.text
            db = app.state.services.db
            emails = [row[0] for row in await db.fetch_all(sa.text("SELECT email FROM access_requests"))]
            assert emails == [kept]
            events = await db.fetch_one(sa.text("SELECT COUNT(*) FROM access_request_events"))
            assert int(events[0]) == 2  # the kept request's submission and confirmation only
