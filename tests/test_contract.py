"""The contract, executed: schemathesis drives every operation of ``openapi.yaml`` against the real
uvicorn process (``live_server``, once per database backend) and every default check must pass.

Positive and negative data are generated for every operation; the examples, coverage, fuzzing and
stateful phases all run. Authenticated operations get a token of a freshly registered customer, and
``/customers/{customerReference}`` gets that customer's own reference, so the happy paths are reached
and not only the 401/403/404 answers.

A few rules of the contract cannot be written in JSON Schema: ``confirmPassword`` must equal
``password``, an e-mail must not be taken already, a birth date must lie in the past, a password
must not be a common one. For *positive* cases only, ``_honour_cross_field_rules`` makes the
generated body satisfy them, so a 422 for one of those reasons is never mistaken for a rejected
valid request. Negative cases are sent exactly as generated.

``SCHEMATHESIS_MAX_EXAMPLES`` and ``SCHEMATHESIS_SEED`` tune or reproduce a run.
"""

from __future__ import annotations

import copy
import itertools
import os
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import schemathesis
from schemathesis.core.failures import format_failures
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic
from schemathesis.generation import GenerationMode
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.openapi.checks import MissingHeaderNotRejected, RejectedPositiveData

from tests.helpers import JSON_API, PASSWORD, document, registration
from tests.servers import PROJECT

OPENAPI_PATH = PROJECT / "openapi.yaml"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "60"))
_unique = itertools.count(1)


@dataclass(frozen=True)
class Credentials:
    reference: str
    access_token: str


def _sign_up(base_url: str) -> Credentials:
    """Register and log in a new customer over HTTP, as any client would."""
    headers = {"Content-Type": JSON_API}
    attributes = registration(email=f"contract-{time.time_ns()}-{next(_unique)}@example.com")
    with httpx.Client(base_url=base_url, timeout=10) as http:
        created = http.post("/customers", json=document("customers", attributes), headers=headers)
        assert created.status_code == 201, created.text
        login = http.post(
            "/access-tokens",
            json=document("access-tokens", {"username": attributes["email"], "password": PASSWORD}),
            headers=headers,
        )
        assert login.status_code == 201, login.text
    return Credentials(created.json()["data"]["id"], login.json()["data"]["attributes"]["accessToken"])


def _is_positive(case: schemathesis.Case, location: ParameterLocation) -> bool:
    """Whether the case as a whole, and its ``location`` part, were generated valid."""
    meta = case.meta
    if meta is None or meta.generation.mode is not GenerationMode.POSITIVE:
        return False
    component = meta.components.get(location)
    return component is None or component.mode is GenerationMode.POSITIVE


def _error_document(status: int, code: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"status": str(status), "code": code, "detail": detail}]}


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
            "DELETE /refresh-tokens/{token}",
        )
    },
    # Paths kept for Glue's sake that refuse every request, however well-formed.
    (RejectedPositiveData, "PATCH /customers"): [
        (400, _error_document(400, "405", "Customer reference is missing."))
    ],
    (RejectedPositiveData, "DELETE /customers"): [
        (400, _error_document(400, "405", "Customer reference is missing."))
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


def _honour_cross_field_rules(
    context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any
) -> None:
    """Positive customer bodies: fresh e-mail, matching confirmation, past birth date, rare password."""
    if case.operation.path not in ("/customers", "/customers/{customerReference}"):
        return
    if case.method.upper() not in ("POST", "PATCH") or not _is_positive(case, ParameterLocation.BODY):
        return
    body = copy.deepcopy(case.body)
    case.body = body
    data = body.get("data") if isinstance(body, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attributes, dict):
        return
    if isinstance(attributes.get("email"), str):
        attributes["email"] = _fresh(attributes["email"])
    born = _date_or_none(attributes.get("dateOfBirth"))
    if born is not None and born >= date.today():
        attributes["dateOfBirth"] = born.replace(year=1990, day=min(born.day, 28)).isoformat()
    if isinstance(attributes.get("password"), str):
        attributes["password"] = _rare(attributes["password"])
        attributes["confirmPassword"] = attributes["password"]


def _fresh(email: str) -> str:
    """The same address with a local part no other case used (and within RFC 5321's 64 characters)."""
    local, _, domain = email.strip().rpartition("@")
    prefix = f"c{next(_unique)}"
    fresh_local = f"{prefix}.{local}" if local and len(prefix) + 1 + len(local) <= 64 else prefix
    return f"{fresh_local}@{domain}"


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _rare(password: str) -> str:
    """A password of the same length class that is neither one repeated character nor a common one."""
    suffix = f"~{next(_unique)}Qz"
    return password if len(set(password)) > 1 and len(password) >= 12 else (password + suffix)[:128]


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


def test_every_operation_honours_the_contract(live_server: str, database_url: str) -> None:
    seed = int(os.environ.get("SCHEMATHESIS_SEED", str(time.time_ns() % 2**32)))
    config = schemathesis.Config.from_dict(
        {
            "seed": seed,
            "base-url": live_server,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            "request-timeout": 10,
            "warnings": False,
        }
    )
    schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=config)

    @schema.auth()
    class FreshCustomer:
        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> Credentials:
            return _sign_up(live_server)

        def set(self, case: schemathesis.Case, data: Credentials, context: schemathesis.AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data.access_token}"}
            path_parameters = case.path_parameters
            if (
                path_parameters is not None
                and "customerReference" in path_parameters
                and _is_positive(case, ParameterLocation.PATH)
            ):
                path_parameters["customerReference"] = data.reference

    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(_honour_cross_field_rules, "before_call")
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
        GLOBAL_HOOK_DISPATCHER.unregister(_honour_cross_field_rules)
        GLOBAL_HOOK_DISPATCHER.unregister(_keep_unless_prescribed)
    elapsed = time.monotonic() - started

    backend = "postgresql" if database_url.startswith("postgres") else "sqlite"
    print(
        f"\nschemathesis case count ({backend}): {statistic.total_cases} cases, "
        f"{len(statistic.tested_operations)} operations, {elapsed:.1f}s, seed {seed}"
    )
    assert not problems and statistic.total_failures == 0, "\n".join(problems) + _failure_report(statistic)
    assert statistic.tested_operations == {operation.ok().label for operation in schema.get_all_operations()}
    assert statistic.total_cases >= 10 * len(statistic.tested_operations)
