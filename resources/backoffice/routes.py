"""The back-office's route table (BO §1, §2.3): every path under ``/backoffice``, its methods,
their endpoints and access rules. ``O`` is ``operators:write``; an operator may read and rename its
own record without it; integration clients never pass operator-only routes (1000)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.routing import BaseRoute, Route

from app.access import (
    BACKOFFICE_ENROLMENT,
    BACKOFFICE_OPERATOR,
    PUBLIC,
    Access,
    Backoffice,
    backoffice_checks,
)
from app.routing import EdgeRule, Endpoint, ResourceRoute, resource_route
from app.services.operators import COMMERCE_WRITE, CUSTOMERS_READ, CUSTOMERS_WRITE, OPERATORS_WRITE
from app.settings import Settings
from errors import catalogue
from resources import exports
from resources.backoffice import (
    access_requests,
    activation,
    addresses,
    audit,
    avatars,
    companies,
    customer_imports,
    customer_search,
    customer_status,
    customers,
    integration_clients,
    invitation_symbols,
    levels,
    oauth,
    operator_mfa,
    operators,
    orders,
    payment_instruments,
    points_transfers,
    pos,
    push_tokens,
    tokens,
)
from resources.refusals import refuse_with
from resources.uploads import avatar_body_limit

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
    "COMMERCE_INGESTER",
    "COMMERCE_READER",
    "COMMERCE_WRITER",
    "LOYALTY_READER",
    "LOYALTY_WRITER",
    "POINTS_WRITER",
    "CUSTOMERS_IMPORTER",
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
# CB's back-office (BO §2.3): reads R, ingest K (commerce:write alone: W does not hold it), other
# writes W; never sellers. Integration clients hold R and K.
COMMERCE_READER = Backoffice(permission=CUSTOMERS_READ)
COMMERCE_INGESTER = Backoffice(permission=COMMERCE_WRITE)
COMMERCE_WRITER = Backoffice(permission=CUSTOMERS_WRITE)
# BO §2.3: levels and points of sale are read by R and by any operator, written by W.
LOYALTY_READER = Backoffice(permission=CUSTOMERS_READ, any_operator=True)
LOYALTY_WRITER = Backoffice(permission=CUSTOMERS_WRITE)
# BO §2.3: add and spend points: W, or a seller allowed to transfer points (own POS: 1001).
POINTS_WRITER = Backoffice(permission=CUSTOMERS_WRITE, sellers_with_point_transfer=True)
CUSTOMERS_IMPORTER = Backoffice(permission=CUSTOMERS_WRITE)  # imports: W, not sellers (BO §2.3)


def import_body_limit(settings: Settings) -> int:
    return settings.import_body_limit


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
        _route("/refresh-tokens/{token}", {"DELETE": (tokens.revoke_refresh_token, BACKOFFICE_ENROLMENT)}),
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
        _route("/stores/{store}/orders", {"POST": (orders.ingest_order, COMMERCE_INGESTER)}),
        _route("/stores/{store}/order-batches", {"POST": (orders.ingest_order_batch, COMMERCE_INGESTER)}),
        _route(
            "/stores/{store}/orders/{order_number}",
            {
                "GET": (orders.get_order, COMMERCE_READER),
                "PATCH": (orders.change_order_status, COMMERCE_INGESTER),
            },
        ),
        _route("/customers/{reference}/orders", {"GET": (orders.list_customer_orders, COMMERCE_READER)}),
        _route(
            "/stores/{store}/payment-instruments",
            {"POST": (payment_instruments.upsert_payment_instrument, COMMERCE_INGESTER)},
        ),
        _route(
            "/customers/{reference}/payment-instruments",
            {"GET": (payment_instruments.list_payment_instruments, COMMERCE_READER)},
        ),
        _route(
            "/payment-instruments/{instrument_id}",
            {
                "GET": (payment_instruments.get_payment_instrument, COMMERCE_READER),
                "DELETE": (payment_instruments.delete_payment_instrument, COMMERCE_WRITER),
            },
        ),
        _route(
            "/levels",
            {"GET": (levels.list_levels, LOYALTY_READER), "POST": (levels.create_level, LOYALTY_WRITER)},
        ),
        _route(
            "/levels/{id}",
            {
                "GET": (levels.get_level, LOYALTY_READER),
                "PATCH": (levels.update_level, LOYALTY_WRITER),
                "DELETE": (levels.delete_level, LOYALTY_WRITER),
            },
        ),
        _route("/pos", {"GET": (pos.list_pos, LOYALTY_READER), "POST": (pos.create_pos, LOYALTY_WRITER)}),
        _route(
            "/pos/{id}",
            {
                "GET": (pos.get_pos, LOYALTY_READER),
                "PATCH": (pos.update_pos, LOYALTY_WRITER),
                "DELETE": (pos.delete_pos, LOYALTY_WRITER),
            },
        ),
        _route("/customers/{reference}/level", {"POST": (levels.assign_level, CUSTOMERS_WRITER)}),
        _route(
            "/customers/{reference}/remove-manually-level",
            {"POST": (levels.remove_manual_level, CUSTOMERS_WRITER)},
        ),
        _route(
            "/customers/{reference}/points-transfers",
            {
                "GET": (points_transfers.list_transfers, CUSTOMERS_READER),
                "POST": (points_transfers.create_transfer, POINTS_WRITER),
            },
        ),
        _route(
            "/customers/{reference}/points-transfers/{transfer_id}",
            {"GET": (points_transfers.get_transfer, CUSTOMERS_READER)},
        ),
        _route(
            "/customers/{reference}/points-transfers/{transfer_id}/cancel",
            {"POST": (points_transfers.cancel_transfer, CUSTOMERS_ERASER)},
        ),
        _route("/customers/{reference}/status", {"GET": (customer_status.get_status, CUSTOMERS_READER)}),
        _route(
            "/operator-mfa",
            {
                "POST": (operator_mfa.enrol, BACKOFFICE_ENROLMENT),
                "DELETE": (operator_mfa.remove, BACKOFFICE_OPERATOR),
            },
        ),
        _route("/operator-mfa/confirm", {"POST": (operator_mfa.confirm, BACKOFFICE_ENROLMENT)}),
        _route("/operators/{id}/mfa", {"DELETE": (operator_mfa.reset, OPERATORS_WRITER)}),
        # The avatar is an upload (its own media types and body limit) and an image served as it is.
        resource_route(
            PREFIX + "/customers/{reference}/avatar",
            {
                "PUT": (avatars.put_avatar, CUSTOMERS_WRITER),
                "GET": (avatars.get_avatar, CUSTOMERS_READER),
                "DELETE": (avatars.delete_avatar, CUSTOMERS_WRITER),
            },
            face_check=avatars.avatar_checks,
            edge_rules={"PUT": EdgeRule(body_limit=avatar_body_limit), "GET": EdgeRule(ignores_accept=True)},
        ),
        _route(
            "/customers/{reference}/push-tokens", {"GET": (push_tokens.list_push_tokens, CUSTOMERS_READER)}
        ),
        # An import uploads CSV or JSON:API under its own body limit (BO §4.7); not sellers.
        resource_route(
            PREFIX + "/customer-imports",
            {
                "GET": (customer_imports.list_imports, CUSTOMERS_IMPORTER),
                "POST": (customer_imports.create_import, CUSTOMERS_IMPORTER),
            },
            face_check=customer_imports.import_checks,
            edge_rules={"POST": EdgeRule(body_limit=import_body_limit)},
        ),
        _route("/customer-imports/{id}", {"GET": (customer_imports.get_import, CUSTOMERS_IMPORTER)}),
        _route(
            "/customer-imports/{id}/rows", {"GET": (customer_imports.list_import_rows, CUSTOMERS_IMPORTER)}
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
        # CB §5.4: the company's own events in BO §4.4's shape.
        _route("/companies/{company_id}/history", {"GET": (companies.company_history, COMPANIES_READER)}),
        # CB §5: invitation symbols and access requests, R reads and W writes, no sellers.
        _route(
            "/companies/{company_id}/invitation-symbols",
            {
                "GET": (invitation_symbols.list_symbols, COMPANIES_READER),
                "POST": (invitation_symbols.create_symbol, COMPANIES_WRITER),
            },
        ),
        _route(
            "/companies/{company_id}/invitation-symbols/{symbol_id}",
            {
                "PATCH": (invitation_symbols.update_symbol, COMPANIES_WRITER),
                "DELETE": (invitation_symbols.delete_symbol, COMPANIES_WRITER),
            },
        ),
        _route("/access-requests", {"GET": (access_requests.list_access_requests, COMPANIES_READER)}),
        _route(
            "/access-requests/{id}",
            {
                "GET": (access_requests.get_access_request, COMPANIES_READER),
                "PATCH": (access_requests.decide_access_request, COMPANIES_WRITER),
            },
        ),
        # OAuth 2.0 endpoints speak RFC 6749's errors, not JSON:API.
        Route(PREFIX + "/token", oauth.token, methods=["POST"]),
        Route(PREFIX + "/token/revoke", oauth.revoke, methods=["POST"]),
    ]
