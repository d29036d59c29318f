"""The contract, executed: schemathesis drives every operation of ``openapi.yaml`` against the real
uvicorn process (``live_server``, once per database backend) and every default check must pass.

Positive and negative data are generated for every operation; the examples, coverage, fuzzing and
stateful phases all run. The server of this test mails through a real SMTP server and requires the
double opt-in, so every mailed key can be used as a client would. Authenticated operations get a
token of a registered, confirmed customer; valid paths get that customer's own reference and one of
its addresses. The customer is signed up again whenever a case ends its sessions (anonymization,
``DELETE /refresh-tokens/mine``). The run asserts that every operation with a success answer gave
one, so the happy paths are reached and not only the 401/403/404 answers.

Back-office operations act as an administrator with every permission, created with
``python -m app.operators`` before the server starts and logged in again whenever a case ends its
sessions; valid operator and client ids in paths name an operator or a client created for that case
(so deleting, deactivating or rotating one leaves the administrator and the other cases alone).

A few rules of the contract cannot be written in JSON Schema: ``confirmPassword`` must equal
``password``, an e-mail must not be taken already, a birth date must lie in the past, a password
must not be a common one, the current password must be right, a restore or registration key must
have been mailed, a link's origin must be on the allow-list, ``data.id`` must equal the path's id,
and (stores being configuration) a ``Store`` header, a store code in the path and a ``locale`` must
name a configured store and one of its locales.
For *positive* cases only, ``_honour_cross_field_rules`` makes the generated body satisfy them, so a
4xx for one of those reasons is never mistaken for a rejected valid request. Negative cases are sent
exactly as generated.

``SCHEMATHESIS_MAX_EXAMPLES`` and ``SCHEMATHESIS_SEED`` tune or reproduce a run.
"""

from __future__ import annotations

import collections
import copy
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from schemathesis.core.failures import format_failures
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic
from schemathesis.generation import GenerationMode
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.openapi.checks import MissingHeaderNotRejected, RejectedPositiveData

from app.emails import InvalidEmail, normalise_email
from tests.helpers import JSON_API, PASSWORD, bearer, document, registration
from tests.mail_helpers import TOKEN, SmtpServer, text_of
from tests.servers import PROJECT, uvicorn_server

OPENAPI_PATH = PROJECT / "openapi.yaml"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "60"))
# The links this test's server mails; their origins are the only ones on its allow-list.
RESTORE_URL = "https://shop.example/password/restore"
CONFIRMATION_URL = "https://shop.example/register/confirm"
ADDRESS = {
    "salutation": "Ms",
    "firstName": "Jane",
    "lastName": "Doe",
    "address1": "11 Second Street",
    "zipCode": "12312",
    "city": "Berlin",
    "iso2Code": "DE",
}
# The server's stores; the customer the cases act as registers in the first (the default).
STORES = [
    {
        "code": "DE",
        "defaultLocale": "de_DE",
        "locales": ["de_DE", "en_US"],
        "currencyIsoCode": "EUR",
        "timeZone": "Europe/Berlin",
    },
    {
        "code": "CH",
        "defaultLocale": "de_CH",
        "locales": ["de_CH", "fr_CH"],
        "currencyIsoCode": "CHF",
        "timeZone": "Europe/Zurich",
    },
]
_unique = itertools.count(1)
_chance = random.Random(11)
ADMIN_EMAIL = f"contract-admin-{time.time_ns()}@example.com"
ADMIN_PASSWORD = "Contract-Admin-Secret-1"
# Every other valid login or refresh uses credentials that exist, so both answers are exercised.
_alternate = itertools.count()
_LINK = re.compile(r"https?://\S+")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def contract_server(database_url: str, key_path: str, mailbox: SmtpServer) -> Iterator[str]:
    """The app with double opt-in and its mail delivered at once to ``mailbox``."""
    settings = {
        "GLUE_SMTP_URL": mailbox.url,
        "GLUE_MAIL_POLL_INTERVAL": "0.05",
        "GLUE_CONFIRMATION_REQUIRED": "true",
        "GLUE_RESTORE_PASSWORD_URL": RESTORE_URL,
        "GLUE_CONFIRMATION_URL": CONFIRMATION_URL,
        # Its timing is tested with the default floor; here it would only slow every valid case down.
        "GLUE_FORGOTTEN_PASSWORD_MIN_SECONDS": "0",
        # Thousands of generated logins and reset requests come from one address; the limiters have
        # their own tests, here they would only turn valid cases into 429s or unsent mail.
        "GLUE_LOGIN_LIMIT_PER_ADDRESS": "1000000",
        "GLUE_LOGIN_LIMIT_PER_ACCOUNT": "1000000",
        "GLUE_FORGOTTEN_PASSWORD_LIMIT_PER_EMAIL": "1000000",
        "GLUE_FORGOTTEN_PASSWORD_LIMIT_PER_ADDRESS": "1000000",
        "GLUE_STORES": json.dumps(STORES),
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "app.operators", "create", "--email", ADMIN_EMAIL, "--role", "admin"]
        + ["--first-name", "Contract", "--last-name", "Admin"],
        input=ADMIN_PASSWORD + "\n",
        cwd=PROJECT,
        env={**os.environ, "GLUE_DATABASE_URL": database_url, "GLUE_JWT_PRIVATE_KEY_PATH": key_path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    with uvicorn_server(database_url, key_path, settings=settings) as base:
        yield base


@dataclass
class Customer:
    reference: str
    email: str
    password: str
    access_token: str
    address_id: str | None = None


class Storefront:
    """The contract server as a client sees it: HTTP calls, and the mail its SMTP server received."""

    def __init__(self, base_url: str, mailbox: SmtpServer) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10, headers={"Content-Type": JSON_API})
        self.mailbox = mailbox
        self.customer: Customer | None = None
        self._forgetful: str | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def register(self) -> tuple[str, str]:
        """A new customer's reference and e-mail address (unconfirmed: its key is in the mail)."""
        email = f"contract-{time.time_ns()}-{next(_unique)}@example.com"
        created = self.http.post("/customers", json=document("customers", registration(email=email)))
        assert created.status_code == 201, created.text
        return created.json()["data"]["id"], email

    def mailed_key(self, email: str, link_base: str, after: int = 0) -> str:
        """The key of the link to ``link_base`` mailed to ``email``, among the mails after ``after``."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for message in reversed(self.mailbox.messages[after:]):
                key = _key_in(message, email, link_base)
                if key is not None:
                    return key
            time.sleep(0.01)
        raise AssertionError(f"no link to {link_base} was mailed to {email}")

    def registration_key(self) -> str:
        _, email = self.register()
        return self.mailed_key(email, CONFIRMATION_URL)

    def restore_key(self) -> str:
        """A fresh restore key of a customer kept for this (restoring ends every session of its owner)."""
        with self._lock:
            if self._forgetful is None:
                _, self._forgetful = self.register()
            email = self._forgetful
        mailed = len(self.mailbox.messages)
        asked = self.http.post(
            "/customer-forgotten-password", json=document("customer-forgotten-password", {"email": email})
        )
        assert asked.status_code == 204, asked.text
        return self.mailed_key(email, RESTORE_URL, after=mailed)

    def refresh_token(self) -> str:
        """The refresh token of a new session of the signed-up customer."""
        customer = self.signed_up()
        login = self.http.post(
            "/access-tokens",
            json=document("access-tokens", {"username": customer.email, "password": customer.password}),
        )
        assert login.status_code == 201, login.text
        token: str = login.json()["data"]["attributes"]["refreshToken"]
        return token

    def signed_up(self) -> Customer:
        """The customer the cases act as: registered, confirmed and logged in once until its sessions end."""
        with self._lock:
            if self.customer is None:
                reference, email = self.register()
                key = self.mailed_key(email, CONFIRMATION_URL)
                confirmed = self.http.post(
                    "/customer-confirmation",
                    json=document("customer-confirmation", {"registrationKey": key}),
                )
                assert confirmed.status_code == 204, confirmed.text
                login = self.http.post(
                    "/access-tokens",
                    json=document("access-tokens", {"username": email, "password": PASSWORD}),
                )
                assert login.status_code == 201, login.text
                token = login.json()["data"]["attributes"]["accessToken"]
                self.customer = Customer(reference, email, PASSWORD, token)
            return self.customer

    def address_of(self, customer: Customer) -> str:
        """An address of ``customer``, created when it has none left."""
        with self._lock:
            if customer.address_id is None:
                created = self.http.post(
                    f"/customers/{customer.reference}/addresses",
                    json=document("addresses", ADDRESS),
                    headers=bearer(customer.access_token),
                )
                assert created.status_code == 201, created.text
                customer.address_id = created.json()["data"]["id"]
            return customer.address_id

    def owner_of(self, case: schemathesis.Case) -> Customer | None:
        """The signed-up customer when the case carries its token unchanged."""
        customer = self.customer
        authorization = (case.headers or {}).get("Authorization")
        if customer is not None and authorization == f"Bearer {customer.access_token}":
            return customer
        return None

    def sessions_ended(self, customer: Customer) -> None:
        with self._lock:
            if self.customer is customer:
                self.customer = None

    # The back-office, as its administrator sees it.
    admin_password = ADMIN_PASSWORD
    _admin_token: str | None = None

    def admin_login(self) -> dict[str, Any]:
        login = self.http.post(
            "/backoffice/access-tokens",
            json=document("access-tokens", {"username": ADMIN_EMAIL, "password": self.admin_password}),
        )
        assert login.status_code == 201, login.text
        attributes: dict[str, Any] = login.json()["data"]["attributes"]
        return attributes

    def admin_token(self) -> str:
        with self._lock:
            if self._admin_token is None:
                self._admin_token = self.admin_login()["accessToken"]
            return self._admin_token

    def admin_sessions_ended(self) -> None:
        with self._lock:
            self._admin_token = None

    def fresh_operator(self) -> str:
        """A new administrator with every permission: any case may change, deactivate or delete it."""
        created = self.http.post(
            "/backoffice/operators",
            json=document(
                "operators",
                {
                    "email": f"contract-operator-{time.time_ns()}-{next(_unique)}@example.com",
                    "password": ADMIN_PASSWORD,
                    "confirmPassword": ADMIN_PASSWORD,
                    "firstName": "Case",
                    "lastName": "Operator",
                    "role": "admin",
                    "permissions": ["customers:read", "customers:write", "commerce:write", "operators:write"],
                },
            ),
            headers=bearer(self.admin_token()),
        )
        assert created.status_code == 201, created.text
        operator_id: str = created.json()["data"]["id"]
        return operator_id

    def backoffice_address(self, reference: str) -> str:
        """An address the administrator adds to the customer ``reference``."""
        created = self.http.post(
            f"/backoffice/customers/{reference}/addresses",
            json=document("addresses", ADDRESS),
            headers=bearer(self.admin_token()),
        )
        assert created.status_code == 201, created.text
        address_id: str = created.json()["data"]["id"]
        return address_id

    def fresh_client(self) -> tuple[str, str]:
        created = self.http.post(
            "/backoffice/integration-clients",
            json=document(
                "integration-clients", {"name": "Case", "permissions": ["customers:read", "commerce:write"]}
            ),
            headers=bearer(self.admin_token()),
        )
        assert created.status_code == 201, created.text
        data = created.json()["data"]
        return data["id"], data["attributes"]["clientSecret"]


def _key_in(message: EmailMessage, email: str, link_base: str) -> str | None:
    if email not in str(message["To"]):
        return None
    for link in _LINK.findall(text_of(message)):
        match = TOKEN.search(link)
        if link.startswith(f"{link_base}?") and match:
            return match.group(1)
    return None


def _is_positive(case: schemathesis.Case, location: ParameterLocation) -> bool:
    """Whether the case as a whole, and its ``location`` part, were generated valid."""
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return False
    component = meta.components.get(location)
    return component is None or component.mode is GenerationMode.POSITIVE


def _error_document(status: int, code: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"status": str(status), "code": code, "detail": detail}]}


_BACKOFFICE_GUARDED = (
    "DELETE /backoffice/refresh-tokens/{token}",
    "PATCH /backoffice/operator-password",
    "GET /backoffice/operators",
    "POST /backoffice/operators",
    "GET /backoffice/operators/{operatorId}",
    "PATCH /backoffice/operators/{operatorId}",
    "DELETE /backoffice/operators/{operatorId}",
    "POST /backoffice/operators/{operatorId}/activate",
    "POST /backoffice/operators/{operatorId}/deactivate",
    "GET /backoffice/integration-clients",
    "POST /backoffice/integration-clients",
    "GET /backoffice/integration-clients/{clientId}",
    "PATCH /backoffice/integration-clients/{clientId}",
    "DELETE /backoffice/integration-clients/{clientId}",
    "POST /backoffice/integration-clients/{clientId}/rotate-secret",
    "POST /backoffice/integration-clients/{clientId}/activate",
    "POST /backoffice/integration-clients/{clientId}/deactivate",
    "GET /backoffice/audit-events",
    "POST /backoffice/customers",
    "GET /backoffice/customers/{customerReference}",
    "PATCH /backoffice/customers/{customerReference}",
    "POST /backoffice/customers/{customerReference}/activate",
    "POST /backoffice/customers/{customerReference}/deactivate",
    "POST /backoffice/customers/{customerReference}/send-activation-email",
    "GET /backoffice/customers/{customerReference}/history",
    "POST /backoffice/customers/{customerReference}/anonymize",
    "GET /backoffice/customer-checks",
    "DELETE /backoffice/customers/{customerReference}",
    "GET /backoffice/customers/{customerReference}/data-export",
    "GET /backoffice/customers/{customerReference}/addresses",
    "POST /backoffice/customers/{customerReference}/addresses",
    "GET /backoffice/customers/{customerReference}/addresses/{addressId}",
    "PATCH /backoffice/customers/{customerReference}/addresses/{addressId}",
    "DELETE /backoffice/customers/{customerReference}/addresses/{addressId}",
)

# Answers the contract prescribes where a generic check expects something else. Each is matched on
# the failure kind, the operation and the exact response, so anything else still fails the run.
_PRESCRIBED_ANSWERS: dict[tuple[type[Any], str], list[tuple[int, dict[str, Any]]]] = {
    # A missing Authorization header: RFC 6750 says 401, Glue (and so our catalogue) says 403 code 002.
    **{
        (MissingHeaderNotRejected, label): [(403, _error_document(403, "002", "Missing access token."))]
        for label in (
            "GET /customers",
            "GET /customers/{customerReference}",
            "PATCH /customers/{customerReference}",
            "DELETE /customers/{customerReference}",
            "GET /customers/{customerReference}/addresses",
            "GET /customers/{customerReference}/data-export",
            "POST /customers/{customerReference}/addresses",
            "PATCH /customers/{customerReference}/addresses",
            "DELETE /customers/{customerReference}/addresses",
            "GET /customers/{customerReference}/addresses/{addressId}",
            "PATCH /customers/{customerReference}/addresses/{addressId}",
            "DELETE /customers/{customerReference}/addresses/{addressId}",
            "DELETE /refresh-tokens/{token}",
            "PATCH /customer-password",
            "PATCH /customer-password/{customerReference}",
            *_BACKOFFICE_GUARDED,
        )
    },
    (RejectedPositiveData, "DELETE /backoffice/refresh-tokens"): [
        (400, _error_document(400, "015", "Resource id is not specified."))
    ],
    (RejectedPositiveData, "POST /backoffice/token"): [
        (
            400,
            {
                "error": "invalid_grant",
                "error_description": "The credentials or the refresh token are invalid.",
            },
        ),
        (401, {"error": "invalid_client", "error_description": "Client authentication failed."}),
        (
            400,
            {
                "error": "invalid_scope",
                "error_description": "The requested scope exceeds the client's permissions.",
            },
        ),
    ],
    # Paths kept for Glue's sake that refuse every request, however well-formed.
    (RejectedPositiveData, "PATCH /customers"): [
        (400, _error_document(400, "015", "Resource id is not specified."))
    ],
    (RejectedPositiveData, "DELETE /customers"): [
        (400, _error_document(400, "015", "Resource id is not specified."))
    ],
    (RejectedPositiveData, "PATCH /customers/{customerReference}/addresses"): [
        (400, _error_document(400, "412", "Address UUID is missing."))
    ],
    (RejectedPositiveData, "DELETE /customers/{customerReference}/addresses"): [
        (400, _error_document(400, "412", "Address UUID is missing."))
    ],
    (RejectedPositiveData, "DELETE /refresh-tokens"): [
        (400, _error_document(400, "015", "Resource id is not specified."))
    ],
    # The token endpoint refuses well-formed requests with credentials that do not exist (RFC 6749 §5.2);
    # the checks know this only for schemas that declare an OAuth tokenUrl, which OpenAPI 3.1 wants
    # absolute, and this server's URL is not known in advance.
    (RejectedPositiveData, "POST /token"): [
        (
            400,
            {
                "error": "invalid_grant",
                "error_description": "The credentials or the refresh token are invalid.",
            },
        ),
        (401, {"error": "invalid_client", "error_description": "Client authentication failed."}),
    ],
}


def _keep_unless_prescribed(
    context: schemathesis.HookContext, failure: Any, case: schemathesis.Case, response: schemathesis.Response
) -> bool:
    """Drop a failure only when the response is exactly what the contract prescribes for that case."""
    for (kind, label), answers in _PRESCRIBED_ANSWERS.items():
        if isinstance(failure, kind) and case.operation.label == label:
            return not any(
                response.status_code == status and response.json() == body for status, body in answers
            )
    return True


_CUSTOMER_DOCUMENTS = ("/customers", "/customers/{customerReference}")
_PASSWORD_CHANGES = ("/customer-password", "/customer-password/{customerReference}")
_RESTORES = ("/customer-restore-password", "/customer-restore-password/{restorePasswordKey}")
_PATH_IDS = {
    "/customers/{customerReference}": "customerReference",
    "/customers/{customerReference}/addresses/{addressId}": "addressId",
    "/customer-password/{customerReference}": "customerReference",
    "/customer-restore-password/{restorePasswordKey}": "restorePasswordKey",
    "/backoffice/operators/{operatorId}": "operatorId",
    "/backoffice/integration-clients/{clientId}": "clientId",
    "/backoffice/customers/{customerReference}": "customerReference",
    "/backoffice/customers/{customerReference}/addresses/{addressId}": "addressId",
}


def _any_letter_case(code: str) -> str:
    return "".join(letter.lower() if _chance.random() < 0.5 else letter for letter in code)


_STORE_CODE = re.compile(r"[A-Za-z0-9]{1,16}")


def _configured_store(case: schemathesis.Case) -> None:
    """A ``Store`` header the schema allows names the customer's store (the default) in any letter
    case, whatever else the case breaks (a missing ``Authorization`` must meet a valid store to be
    answered 002); a positive store code in the path names a configured store."""
    headers = case.headers or {}
    if isinstance(headers.get("Store"), str) and _STORE_CODE.fullmatch(headers["Store"]):
        headers["Store"] = _any_letter_case(STORES[0]["code"])
    path_parameters = case.path_parameters or {}
    if case.operation.path == "/stores/{code}" and _is_positive(case, ParameterLocation.PATH):
        path_parameters["code"] = _any_letter_case(_chance.choice(STORES)["code"])


def _honour_cross_field_rules(storefront: Storefront, case: schemathesis.Case) -> None:
    """Make a positive body satisfy the rules no schema can state (see the module docstring)."""
    _configured_store(case)
    if case.operation.path.startswith("/backoffice/"):
        _backoffice_query(case)
    if case.method.upper() not in ("POST", "PATCH") or not _is_positive(case, ParameterLocation.BODY):
        return
    if case.operation.path == "/token":
        _known_grant(storefront, case)
        return
    if case.operation.path == "/backoffice/token":
        _known_backoffice_grant(storefront, case)
        return
    body = copy.deepcopy(case.body)
    case.body = body
    data = body.get("data") if isinstance(body, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    path = case.operation.path
    id_parameter = _PATH_IDS.get(path)
    if (
        isinstance(data, dict)
        and "id" in data
        and id_parameter
        and _is_positive(case, ParameterLocation.PATH)
    ):
        data["id"] = (case.path_parameters or {})[id_parameter]
    if not isinstance(attributes, dict):
        return
    if path in _CUSTOMER_DOCUMENTS:
        if isinstance(attributes.get("email"), str):
            attributes["email"] = _fresh(attributes["email"])
        if isinstance(attributes.get("locale"), str):
            language, country = _chance.choice(STORES[0]["locales"]).split("_")
            attributes["locale"] = f"{_any_letter_case(language)}{_chance.choice('-_')}{country.lower()}"
        if isinstance(attributes.get("phone"), str):  # a valid number no other case used
            attributes["phone"] = f"+4930{next(_unique) % 100_000_000:08d}"
        born = _date_or_none(attributes.get("dateOfBirth"))
        if born is not None and born >= date.today():
            attributes["dateOfBirth"] = born.replace(year=1990, day=min(born.day, 28)).isoformat()
        _new_password(attributes, "password")
    elif path in _PASSWORD_CHANGES:
        owner = storefront.owner_of(case)
        if owner is not None:
            attributes["password"] = owner.password
        _new_password(attributes, "newPassword")
    elif path == "/customer-forgotten-password":
        if isinstance(attributes.get("email"), str):
            attributes["email"] = _deliverable(attributes["email"])
        if isinstance(attributes.get("confirmationBaseUrl"), str):  # only allowed origins are taken
            attributes["confirmationBaseUrl"] = RESTORE_URL
    elif path in _RESTORES:
        attributes["restorePasswordKey"] = storefront.restore_key()
        _new_password(attributes, "password")
    elif path == "/customer-confirmation":
        attributes["registrationKey"] = storefront.registration_key()
    elif path == "/access-tokens" and next(_alternate) % 2:
        customer = storefront.signed_up()
        attributes.update(username=customer.email, password=customer.password)
    elif path == "/refresh-tokens" and next(_alternate) % 2:
        attributes["refreshToken"] = storefront.refresh_token()
    elif path.startswith("/backoffice/"):
        _honour_backoffice_rules(storefront, path, attributes)


_BACKOFFICE_TIMES = ("filter[occurredAtFrom]", "filter[occurredAtTo]")


def _backoffice_query(case: schemathesis.Case) -> None:
    """A valid query names a cursor links.next minted (none: the first page) and times Python reads."""
    query = case.query
    if not isinstance(query, dict) or not _is_positive(case, ParameterLocation.QUERY):
        return
    query.pop("page[cursor]", None)
    for name in _BACKOFFICE_TIMES:
        if name in query:
            query[name] = "2026-01-05T09:30:00+01:00"


def _honour_backoffice_customer(attributes: dict[str, Any]) -> None:
    """A valid back-office customer body: an e-mail, phone and card no other case used, a store
    locale, a past birth date, the configured store; points of sale and sellers none (issue 13)."""
    if isinstance(attributes.get("email"), str):
        attributes["email"] = _fresh(attributes["email"])
    if isinstance(attributes.get("locale"), str):
        attributes["locale"] = _chance.choice(STORES[0]["locales"])
    if isinstance(attributes.get("phone"), str):
        attributes["phone"] = f"+4930{next(_unique) % 100_000_000:08d}"
    if isinstance(attributes.get("loyaltyCardNumber"), str):
        attributes["loyaltyCardNumber"] = f"CARD-{next(_unique)}"
    born = _date_or_none(attributes.get("dateOfBirth"))
    if born is not None and born >= date.today():
        attributes["dateOfBirth"] = born.replace(year=1990, day=min(born.day, 28)).isoformat()
    if "store" in attributes:
        attributes["store"] = STORES[0]["code"]
    for name in ("posId", "sellerId"):
        if name in attributes:
            attributes[name] = None


def _honour_backoffice_rules(storefront: Storefront, path: str, attributes: dict[str, Any]) -> None:
    if path.startswith("/backoffice/customers"):
        _honour_backoffice_customer(attributes)
    elif path.startswith("/backoffice/operators"):
        if isinstance(attributes.get("email"), str):
            attributes["email"] = _fresh(attributes["email"])
        if "role" in attributes:
            attributes["role"] = "admin"  # no point of sale exists yet for a seller to name
        permissions = attributes.get("permissions")
        if (
            isinstance(permissions, list)
            and "customers:write" in permissions
            and "customers:read" not in permissions
        ):
            permissions.append("customers:read")
        if "stores" in attributes:
            attributes["stores"] = None
        if isinstance(attributes.get("password"), str):
            attributes["password"] = _rare(attributes["password"])
            attributes["confirmPassword"] = attributes["password"]
    elif path.startswith("/backoffice/integration-clients"):
        if "stores" in attributes:
            attributes["stores"] = _chance.choice([None, [STORES[0]["code"]]])
    elif path == "/backoffice/operator-password":
        attributes["password"] = storefront.admin_password
        _new_password(attributes, "newPassword")
    elif path == "/backoffice/access-tokens" and next(_alternate) % 2:
        attributes.update(username=ADMIN_EMAIL, password=storefront.admin_password)
    elif path == "/backoffice/refresh-tokens" and next(_alternate) % 2:
        attributes["refreshToken"] = storefront.admin_login()["refreshToken"]


def _known_backoffice_grant(storefront: Storefront, case: schemathesis.Case) -> None:
    """Every other valid back-office grant carries credentials, a refresh token or a client that exist."""
    form = case.body
    if not isinstance(form, dict) or not next(_alternate) % 2:
        return
    form = dict(form)
    case.body = form
    if form.get("grant_type") == "password":
        form.update(username=ADMIN_EMAIL, password=storefront.admin_password)
    elif form.get("grant_type") == "refresh_token":
        form["refresh_token"] = storefront.admin_login()["refreshToken"]
    elif form.get("grant_type") == "client_credentials":
        form["client_id"], form["client_secret"] = storefront.fresh_client()
        form.pop("scope", None)


def _known_grant(storefront: Storefront, case: schemathesis.Case) -> None:
    """Every other valid ``/token`` request carries credentials or a refresh token that exist."""
    form = case.body
    if not isinstance(form, dict) or not next(_alternate) % 2:
        return
    form = dict(form)
    case.body = form
    if form.get("grant_type") == "password":
        customer = storefront.signed_up()
        form.update(username=customer.email, password=customer.password)
    elif form.get("grant_type") == "refresh_token":
        form["refresh_token"] = storefront.refresh_token()


def _new_password(attributes: dict[str, Any], name: str) -> None:
    if isinstance(attributes.get(name), str):
        attributes[name] = _rare(attributes[name])
        attributes["confirmPassword"] = attributes[name]


def _follow_the_administrator(storefront: Storefront, case: schemathesis.Case, response: Any) -> None:
    """Keep the back-office administrator's password and sessions in step with what a case did."""
    path = case.operation.path
    if response.status_code == 204 and path == "/backoffice/operator-password":
        storefront.admin_password = case.body["data"]["attributes"]["newPassword"]
    elif _is_invalid_access_token(response) or (
        response.status_code == 204 and (case.path_parameters or {}).get("token") == "mine"
    ):
        storefront.admin_sessions_ended()


def _follow_the_account(storefront: Storefront, case: schemathesis.Case, response: Any) -> None:
    """Keep the signed-up customer's password, address and sessions in step with what a case did."""
    if case.operation.path.startswith("/backoffice/"):
        _follow_the_administrator(storefront, case, response)
        return
    owner = storefront.owner_of(case)
    if owner is None:
        return
    label = case.operation.label
    path_parameters = case.path_parameters or {}
    if response.status_code == 204 and case.operation.path in _PASSWORD_CHANGES:
        owner.password = case.body["data"]["attributes"]["newPassword"]
    elif (
        response.status_code == 204 and label == "DELETE /customers/{customerReference}/addresses/{addressId}"
    ):
        if path_parameters.get("addressId") == owner.address_id:
            owner.address_id = None
    elif (
        _is_invalid_access_token(response)
        or (response.status_code == 204 and label == "DELETE /customers/{customerReference}")
        or (response.status_code == 204 and path_parameters.get("token") == "mine")
    ):
        storefront.sessions_ended(owner)


def _is_invalid_access_token(response: Any) -> bool:
    if response.status_code != 401:
        return False
    errors = response.json().get("errors") or [{}]
    return bool(errors[0].get("code") == "001")


def _fresh(email: str) -> str:
    """The same address with a local part no other case used (and within RFC 5321's 64 characters).

    A generated domain that no one can receive mail at (``.arpa``, reserved for special use, is an
    IANA top-level domain) is replaced: ``format: email`` cannot say which domains are deliverable.
    """
    local, _, domain = email.strip().rpartition("@")
    prefix = f"c{next(_unique)}"
    fresh_local = f"{prefix}.{local}" if local and len(prefix) + 1 + len(local) <= 64 else prefix
    return _deliverable(f"{fresh_local}@{domain}", prefix)


def _deliverable(email: str, local: str = "someone") -> str:
    try:
        return normalise_email(email)
    except InvalidEmail:
        return f"{local}@example.com"


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _rare(password: str) -> str:
    """A password of the same length class that is neither one repeated character nor a common one."""
    suffix = f"~{next(_unique)}Qz"
    if len(set(password)) > 1 and len(password) >= 12:
        return password
    return password[: 128 - len(suffix)] + suffix


def _operations_with_a_success_answer() -> set[str]:
    document_ = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    return {
        f"{method.upper()} {path}"
        for path, item in document_["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and "responses" in operation
        and any(status.startswith("2") for status in operation["responses"])
    }


def _failure_report(statistic: Statistic) -> str:
    config = schemathesis.Config().output
    blocks = []
    for label, grouped in statistic.failures.items():
        for group in grouped.values():
            text = format_failures(
                case_id=f"{label} ({group.case_id})",
                response=group.response,
                failures=group.failures,
                curl=group.code_sample,
                config=config,
            )
            blocks.append(text)
    return "\n\n".join(blocks)


def test_every_operation_honours_the_contract(
    contract_server: str, mailbox: SmtpServer, database_url: str
) -> None:
    seed = int(os.environ.get("SCHEMATHESIS_SEED", str(time.time_ns() % 2**32)))
    config = schemathesis.Config.from_dict(
        {
            "seed": seed,
            "base-url": contract_server,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            "request-timeout": 10,
            "warnings": False,
        }
    )
    # schemathesis joins a path's segments and so drops an empty one: ``/customers//addresses``
    # would be sent as ``/customers/addresses``. tests/storefront/test_addresses.py calls those
    # paths as they are written.
    schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=config).exclude(path_regex="//")
    storefront = Storefront(contract_server, mailbox)
    successes: collections.Counter[str] = collections.Counter()

    @schema.auth(refresh_interval=None)  # the storefront keeps the customer while its sessions last
    class SignedUpCustomer:
        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> Customer:
            return storefront.signed_up()

        def set(self, case: schemathesis.Case, data: Customer, context: schemathesis.AuthContext) -> None:
            if case.operation.path.startswith("/backoffice/"):
                _as_administrator(case)
                return
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data.access_token}"}
            path_parameters = case.path_parameters
            if path_parameters is None or not _is_positive(case, ParameterLocation.PATH):
                return
            if "customerReference" in path_parameters:
                path_parameters["customerReference"] = data.reference
            if "addressId" in path_parameters:
                path_parameters["addressId"] = storefront.address_of(data)

    def _as_administrator(case: schemathesis.Case) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {storefront.admin_token()}"}
        path_parameters = case.path_parameters
        if path_parameters is None or not _is_positive(case, ParameterLocation.PATH):
            return
        if "operatorId" in path_parameters:
            path_parameters["operatorId"] = storefront.fresh_operator()
        if "clientId" in path_parameters:
            path_parameters["clientId"] = storefront.fresh_client()[0]
        if "customerReference" in path_parameters:
            # A pending registrant: every back-office customer action has something to do.
            reference = storefront.register()[0]
            path_parameters["customerReference"] = reference
            if "addressId" in path_parameters:
                path_parameters["addressId"] = storefront.backoffice_address(reference)

    def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
        _honour_cross_field_rules(storefront, case)

    def after_call(
        context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response
    ) -> None:
        if 200 <= response.status_code < 300:
            successes[case.operation.label] += 1
        _follow_the_account(storefront, case, response)

    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(after_call, "after_call")
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(_keep_unless_prescribed, "filter_failure")
    statistic = Statistic()
    problems: list[str] = []
    started = time.monotonic()
    try:
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
                statistic.on_scenario_finished(event.recorder)
            elif isinstance(event, events.NonFatalError):
                problems.append(f"{event.label}: {event.info.title}: {event.info.message}")
            elif isinstance(event, events.FatalError):
                problems.append(f"fatal: {event.exception!r}")
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)
        GLOBAL_HOOK_DISPATCHER.unregister(after_call)
        GLOBAL_HOOK_DISPATCHER.unregister(_keep_unless_prescribed)
        storefront.close()
    elapsed = time.monotonic() - started

    backend = "postgresql" if database_url.startswith("postgres") else "sqlite"
    print(
        f"\nschemathesis case count ({backend}): {statistic.total_cases} cases, "
        f"{len(statistic.tested_operations)} operations, {elapsed:.1f}s, seed {seed}"
    )
    assert not problems and statistic.total_failures == 0, "\n".join(problems) + _failure_report(statistic)
    assert statistic.tested_operations == {operation.ok().label for operation in schema.get_all_operations()}
    assert statistic.total_cases >= 10 * len(statistic.tested_operations)
    assert _operations_with_a_success_answer() - set(successes) == set(), successes
