"""Who may call a route, and in which store. Every route of a face's table declares one access
rule per method; the dispatcher checks it before the endpoint runs, so no body is read for a caller
who may not touch the resource, and an endpoint finds its caller with ``principal(request)``.

The storefront resolves the request's store from the ``Store`` header before any access rule
(``storefront_checks``); the token rules then refuse a token of another store (1101). Endpoints find
the store with ``request_store(request)``."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass, replace

from starlette.requests import Request

from app import jsonapi
from app.logs import current_request_id
from app.models import AuditActor, BackofficePrincipal, Principal
from app.services import Services
from app.services.audit import REFUSED
from app.stores import Store
from errors import ApiError, CatalogueEntry, catalogue

__all__ = [
    "Access",
    "Public",
    "CustomerToken",
    "Owner",
    "PUBLIC",
    "CUSTOMER",
    "OWNER",
    "OWNER_OR_NOT_FOUND",
    "CompanyToken",
    "COMPANY_MEMBER",
    "COMPANY_ADMIN",
    "COMPANY_ADMIN_OR_SELF",
    "METRICS_SCRAPER",
    "MetricsScraper",
    "services",
    "principal",
    "bearer_token",
    "resolve_store",
    "request_store",
    "storefront_checks",
    "token_issuer",
    "client_address",
    "Backoffice",
    "BACKOFFICE",
    "BACKOFFICE_OPERATOR",
    "BACKOFFICE_ENROLMENT",
    "backoffice_principal",
    "backoffice_checks",
    "audit_actor",
    "route_action",
    "current_request_id",
]

STORE_HEADER = "store"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def principal(request: Request) -> Principal:
    """The caller the route's access rule authenticated (a route without one has no caller)."""
    found: Principal = request.state.principal
    return found


def resolve_store(request: Request) -> Store:
    """The store the ``Store`` header names, in any letter case; absent, the first store.
    Empty, repeated or not configured: 1100."""
    named = request.headers.getlist(STORE_HEADER)
    stores = services(request).stores
    if not named:
        return stores.default
    found = stores.find(named[0]) if len(named) == 1 and named[0].strip() else None
    if found is None:
        raise ApiError(catalogue.STORE_NOT_VALID)
    return found


def request_store(request: Request) -> Store:
    """The request's store: as the face resolved it before the access rule, else from its header."""
    found: Store | None = getattr(request.state, "store", None)
    if found is None:
        found = request.state.store = resolve_store(request)
    return found


def storefront_checks(request: Request) -> None:
    """The storefront's steps before any access rule (CB §1): a body's media type (415), then the
    ``Store`` header (1100), so a bad store is answered before authentication."""
    jsonapi.check_body_media_type(request)
    request.state.store = resolve_store(request)


def token_issuer(request: Request) -> str:
    """The OAuth issuer this request speaks to: ``iss`` of the tokens it issues and accepts.

    ``GLUE_JWT_ISSUER``, else ``GLUE_PUBLIC_BASE_URL``, else the request's own base URL, so the RFC
    8414 metadata a client discovers at a base URL names the issuer its tokens carry.
    """
    settings = services(request).settings
    return settings.jwt_issuer or jsonapi.base_url(request, settings.public_base_url)


def client_address(request: Request) -> str:
    """The client's address: the socket peer, or the client a trusted proxy names.

    The one place that reads a forwarded address is uvicorn's proxy-header handling, told which
    proxies to trust by GLUE_TRUSTED_PROXIES (``glue-customers serve`` passes it on); by the time a
    request gets here ``client`` already is the address it yields.
    """
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer …``: 002 without a header, 001 for another scheme."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(catalogue.MISSING_ACCESS_TOKEN)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(catalogue.INVALID_ACCESS_TOKEN)
    return token.strip()


class Access:
    """An access rule: ``check`` refuses with a catalogued error or returns the caller (None: public)."""

    async def check(self, request: Request) -> Principal | BackofficePrincipal | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Public(Access):
    """Anyone; the endpoint authenticates nobody."""

    async def check(self, request: Request) -> Principal | None:
        return None


@dataclass(frozen=True)
class CustomerToken(Access):
    """Any live customer access token of the request's store."""

    async def check(self, request: Request) -> Principal | None:
        return await services(request).sessions.authenticate(
            bearer_token(request), request_store(request), token_issuer(request)
        )


@dataclass(frozen=True)
class Owner(Access):
    """A customer token whose customer is the path's ``{reference}`` (when the path has one).

    The refusal is 411, except where Glue answers a foreign reference with 402 (GET customer).
    """

    refusal: CatalogueEntry = catalogue.UNAUTHORIZED_REQUEST
    parameter: str = "reference"

    async def check(self, request: Request) -> Principal | None:
        caller = await CUSTOMER.check(request)
        assert caller is not None
        reference = request.path_params.get(self.parameter)
        if reference is not None and caller.customer.reference != reference:
            raise ApiError(self.refusal)
        return caller


@dataclass(frozen=True)
class CompanyToken(Access):
    """A company token (CB §4.2) of the request's store: a customer token there is 1102. Its company
    user is read from the database on this request (role and state are never the token's claims);
    ``admin``: a buyer is 1103, unless ``self_parameter`` names its own company user."""

    admin: bool = False
    self_parameter: str | None = None

    async def check(self, request: Request) -> Principal | None:
        caller = await CUSTOMER.check(request)
        assert caller is not None
        if caller.company_user_id is None:
            raise ApiError(catalogue.COMPANY_TOKEN_REQUIRED)
        user = await services(request).company_users.find(caller.company_user_id)
        if user is None or not user.is_active or not user.company.is_active:
            raise ApiError(catalogue.INVALID_ACCESS_TOKEN)  # its session was ended with the change
        itself = self.self_parameter is not None and request.path_params.get(self.self_parameter) == user.id
        if self.admin and user.role != "admin" and not itself:
            raise ApiError(catalogue.COMPANY_ROLE_REFUSED)
        return replace(caller, company_user=user)


_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded")


def _is_local(request: Request) -> bool:
    """A loopback peer that is not a proxy passing a request on (a proxy on this host that is not
    trusted still names the original client in a forwarding header)."""
    try:
        loopback = ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:
        return False
    return loopback and not any(name in request.headers for name in _FORWARDING_HEADERS)


@dataclass(frozen=True)
class MetricsScraper(Access):
    """``GET /metrics``: a local client, a bearer of GLUE_METRICS_TOKEN, or anyone when
    GLUE_METRICS_PUBLIC is on; refused with 020 otherwise."""

    async def check(self, request: Request) -> Principal | None:
        settings = services(request).settings
        if settings.metrics_public or _is_local(request):
            return None
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if (
            settings.metrics_token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(presented.strip().encode("latin-1"), settings.metrics_token.encode())
        ):
            return None
        raise ApiError(catalogue.METRICS_FORBIDDEN)


PUBLIC = Public()
CUSTOMER = CustomerToken()
OWNER = Owner()
OWNER_OR_NOT_FOUND = Owner(refusal=catalogue.CUSTOMER_NOT_FOUND)
COMPANY_MEMBER = CompanyToken()
COMPANY_ADMIN = CompanyToken(admin=True)
COMPANY_ADMIN_OR_SELF = CompanyToken(admin=True, self_parameter="company_user_id")
METRICS_SCRAPER = MetricsScraper()


def backoffice_principal(request: Request) -> BackofficePrincipal:
    """The back-office caller the route's access rule authenticated."""
    found = request.state.principal
    assert isinstance(found, BackofficePrincipal)
    return found


def backoffice_checks(request: Request) -> None:
    """The back-office's step before any access rule (BO §1): a body's media type (415)."""
    jsonapi.check_body_media_type(request)


def route_action(request: Request) -> str:
    """The audit trail's name for this request's route: ``POST /backoffice/operators/{id}/activate``."""
    from app.routing import route_template  # app.routing builds on this module's Access

    method = "GET" if request.method == "HEAD" else request.method
    return f"{method} {route_template(request.scope) or request.url.path}"


def audit_actor(request: Request, caller: BackofficePrincipal | None = None) -> AuditActor:
    """The audit trail's name for this request's caller and route."""
    caller = caller or backoffice_principal(request)
    return AuditActor(caller.id, caller.role, route_action(request), current_request_id())


@dataclass(frozen=True)
class Backoffice(Access):
    """A back-office token (BO §2): an operator's with a live session, or an integration client's.

    ``permission``: the one the route needs (None: any caller); ``operator_only``: integration
    clients are refused; ``self_parameter``: the path parameter naming an operator, who may then
    pass without the permission on its own record; ``sellers``: sellers pass without it too (their
    own-POS rule is the service's, 1001); ``sellers_with_point_transfer``: only sellers allowed
    to transfer points pass so; ``any_operator``: every operator passes, clients need the
    permission; ``enrolment``: an enrolment-only session (BO §2.1) may call it, which it may
    nowhere else. Refusals are 1000, before any body is read, and each is audited (written apart:
    the refused request writes nothing else)."""

    permission: str | None = None
    operator_only: bool = False
    self_parameter: str | None = None
    sellers: bool = False
    sellers_with_point_transfer: bool = False
    any_operator: bool = False
    enrolment: bool = False

    async def check(self, request: Request) -> Principal | BackofficePrincipal | None:
        caller = await services(request).operator_sessions.authenticate(
            bearer_token(request), token_issuer(request)
        )
        if self._allows(request, caller):
            return caller
        await services(request).audit.append(audit_actor(request, caller), outcome=REFUSED)
        raise ApiError(catalogue.INSUFFICIENT_PERMISSIONS)

    def _allows(self, request: Request, caller: BackofficePrincipal) -> bool:
        if self.operator_only and not caller.is_operator:
            return False
        if caller.enrolment_only and not self.enrolment:
            return False
        if self.any_operator and caller.is_operator:
            return True
        if self.sellers_with_point_transfer and caller.role == "seller":
            return caller.operator is not None and caller.operator.allow_point_transfer
        if self.sellers and caller.role == "seller":
            return True
        if self.permission is None or self.permission in caller.permissions:
            return True
        if self.sellers and caller.is_operator and caller.role == "seller":
            return True
        return (
            self.self_parameter is not None
            and caller.is_operator
            and request.path_params.get(self.self_parameter) == caller.id
        )


BACKOFFICE = Backoffice()
BACKOFFICE_OPERATOR = Backoffice(operator_only=True)
# Any operator, an enrolment-only session too: enrol, confirm, log out (BO §2.1).
BACKOFFICE_ENROLMENT = Backoffice(operator_only=True, enrolment=True)
