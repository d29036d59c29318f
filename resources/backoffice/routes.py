"""The back-office's route table (BO §1, §2.3): every path under ``/backoffice``, its methods,
their endpoints and access rules. ``O`` is ``operators:write``; an operator may read and rename its
own record without it; integration clients never pass operator-only routes (1000)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.routing import BaseRoute, Route

from app.access import BACKOFFICE_OPERATOR, PUBLIC, Access, Backoffice, backoffice_checks
from app.routing import Endpoint, ResourceRoute, resource_route
from app.services.operators import CUSTOMERS_READ, CUSTOMERS_WRITE, OPERATORS_WRITE
from errors import catalogue
from resources import exports
from resources.backoffice import (
    activation,
    addresses,
    audit,
    companies,
    customer_search,
    customers,
    integration_clients,
    oauth,
    operators,
    tokens,
)
from resources.refusals import refuse_with

__all__ = [
    "routes",
    "PREFIX",
    "OPERATORS_WRITER",
    "OPERATORS_WRITER_OR_SELF",
    "CUSTOMERS_READER",
    "CUSTOMERS_WRITER",
    "HISTORY_READER",
    "CUSTOMERS_ERASER",
    "STATISTICS_READER",
    "COMPANIES_READER",
    "COMPANIES_WRITER",
]

PREFIX = "/backoffice"
OPERATORS_WRITER = Backoffice(permission=OPERATORS_WRITE, operator_only=True)
OPERATORS_WRITER_OR_SELF = Backoffice(permission=OPERATORS_WRITE, operator_only=True, self_parameter="id")
# BO §2.3: R and W, sellers too (their point of sale is checked on the customer: 1001).
CUSTOMERS_READER = Backoffice(permission=CUSTOMERS_READ, sellers=True)
CUSTOMERS_WRITER = Backoffice(permission=CUSTOMERS_WRITE, sellers=True)
HISTORY_READER = Backoffice(permission=CUSTOMERS_READ)
CUSTOMERS_ERASER = Backoffice(permission=CUSTOMERS_WRITE)  # anonymize, erase: not sellers
STATISTICS_READER = Backoffice(permission=CUSTOMERS_READ)  # sellers see no statistics (BO §2.3)
# CB §1, §4.3: companies and company users, R reads and W writes, no sellers.
COMPANIES_READER = Backoffice(permission=CUSTOMERS_READ)
COMPANIES_WRITER = Backoffice(permission=CUSTOMERS_WRITE)


def _route(path: str, handlers: Mapping[str, tuple[Endpoint, Access]]) -> ResourceRoute:
    return resource_route(PREFIX + path, handlers, face_check=backoffice_checks)


def routes() -> list[BaseRoute]:
    return [
        _route("/access-tokens", {"POST": (tokens.create_access_token, PUBLIC)}),
        _route(
            "/refresh-tokens",
            {
                "POST": (tokens.create_refresh_token, PUBLIC),
                "DELETE": (refuse_with(catalogue.RESOURCE_ID_MISSING), PUBLIC),
            },
        ),
        _route("/refresh-tokens/{token}", {"DELETE": (tokens.revoke_refresh_token, BACKOFFICE_OPERATOR)}),
        _route("/operator-password", {"PATCH": (operators.change_own_password, BACKOFFICE_OPERATOR)}),
        _route(
            "/operators",
            {
                "GET": (operators.list_operators, OPERATORS_WRITER),
                "POST": (operators.create_operator, OPERATORS_WRITER),
            },
        ),
        _route(
            "/operators/{id}",
            {
                "GET": (operators.get_operator, OPERATORS_WRITER_OR_SELF),
                "PATCH": (operators.update_operator, OPERATORS_WRITER_OR_SELF),
                "DELETE": (operators.delete_operator, OPERATORS_WRITER),
            },
        ),
        _route("/operators/{id}/activate", {"POST": (operators.activate_operator, OPERATORS_WRITER)}),
        _route("/operators/{id}/deactivate", {"POST": (operators.deactivate_operator, OPERATORS_WRITER)}),
        _route(
            "/integration-clients",
            {
                "GET": (integration_clients.list_clients, OPERATORS_WRITER),
                "POST": (integration_clients.create_client, OPERATORS_WRITER),
            },
        ),
        _route(
            "/integration-clients/{id}",
            {
                "GET": (integration_clients.get_client, OPERATORS_WRITER),
                "PATCH": (integration_clients.update_client, OPERATORS_WRITER),
                "DELETE": (integration_clients.delete_client, OPERATORS_WRITER),
            },
        ),
        _route(
            "/integration-clients/{id}/rotate-secret",
            {"POST": (integration_clients.rotate_secret, OPERATORS_WRITER)},
        ),
        _route(
            "/integration-clients/{id}/activate",
            {"POST": (integration_clients.activate_client, OPERATORS_WRITER)},
        ),
        _route(
            "/integration-clients/{id}/deactivate",
            {"POST": (integration_clients.deactivate_client, OPERATORS_WRITER)},
        ),
        _route(
            "/customers",
            {
                "GET": (customer_search.search_customers, CUSTOMERS_READER),
                "POST": (customers.create_customer, CUSTOMERS_WRITER),
            },
        ),
        _route(
            "/customers/{reference}",
            {
                "GET": (customers.get_customer, CUSTOMERS_READER),
                "PATCH": (customers.update_customer, CUSTOMERS_WRITER),
                "DELETE": (customers.erase_customer, CUSTOMERS_ERASER),
            },
        ),
        _route("/customers/{reference}/activate", {"POST": (customers.activate_customer, CUSTOMERS_WRITER)}),
        _route(
            "/customers/{reference}/deactivate", {"POST": (customers.deactivate_customer, CUSTOMERS_WRITER)}
        ),
        _route(
            "/customers/{reference}/send-activation-email",
            {"POST": (customers.send_activation_email, CUSTOMERS_WRITER)},
        ),
        _route(
            "/customers/{reference}/anonymize",
            {"POST": (customers.anonymize_customer, CUSTOMERS_ERASER)},
        ),
        _route("/customers/{reference}/data-export", {"GET": (exports.backoffice_export, HISTORY_READER)}),
        _route(
            "/customers/{reference}/addresses",
            {
                "GET": (addresses.list_addresses, CUSTOMERS_READER),
                "POST": (addresses.create_address, CUSTOMERS_WRITER),
            },
        ),
        _route(
            "/customers/{reference}/addresses/{address_id}",
            {
                "GET": (addresses.get_address, CUSTOMERS_READER),
                "PATCH": (addresses.update_address, CUSTOMERS_WRITER),
                "DELETE": (addresses.delete_address, CUSTOMERS_WRITER),
            },
        ),
        _route("/customer-checks", {"GET": (customers.customer_checks, CUSTOMERS_READER)}),
        _route("/customers/{reference}/history", {"GET": (customers.customer_history, HISTORY_READER)}),
        _route("/audit-events", {"GET": (audit.list_audit_events, OPERATORS_WRITER)}),
        _route(
            "/customers/{reference}/send-activation-sms",
            {"POST": (activation.send_activation_sms, CUSTOMERS_WRITER)},
        ),
        _route(
            "/customer-registrations",
            {"GET": (customer_search.customer_registrations, STATISTICS_READER)},
        ),
        _route(
            "/companies",
            {
                "GET": (companies.list_companies, COMPANIES_READER),
                "POST": (companies.create_company, COMPANIES_WRITER),
            },
        ),
        _route(
            "/companies/{company_id}",
            {
                "GET": (companies.get_company, COMPANIES_READER),
                "PATCH": (companies.update_company, COMPANIES_WRITER),
            },
        ),
        _route(
            "/companies/{company_id}/company-users",
            {
                "GET": (companies.list_company_users, COMPANIES_READER),
                "POST": (companies.create_company_user, COMPANIES_WRITER),
            },
        ),
        _route(
            "/company-users/{company_user_id}",
            {
                "PATCH": (companies.update_company_user, COMPANIES_WRITER),
                "DELETE": (companies.delete_company_user, COMPANIES_WRITER),
            },
        ),
        # OAuth 2.0 endpoints speak RFC 6749's errors, not JSON:API.
        Route(PREFIX + "/token", oauth.token, methods=["POST"]),
        Route(PREFIX + "/token/revoke", oauth.revoke, methods=["POST"]),
    ]
