"""Plain domain values passed between services, queries and the edge (no HTTP, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "Customer",
    "Company",
    "CompanyRecord",
    "CompanyEvent",
    "CompanyUser",
    "InvitationSymbol",
    "AccessRequest",
    "AccessRequestEvent",
    "Credentials",
    "TokenPair",
    "Principal",
    "Address",
    "DefaultAddresses",
    "Actor",
    "HistoryEvent",
    "Operator",
    "IntegrationClient",
    "BackofficePrincipal",
    "AuditActor",
    "AuditEvent",
    "OrderItem",
    "Order",
    "OrderPage",
    "IngestResult",
    "PaymentInstrument",
    "Avatar",
    "PushToken",
    "Level",
    "PointOfSale",
    "PointsTransfer",
    "PointsStatus",
]


@dataclass(frozen=True)
class Company:
    """The free company label of a customer (BO §3): both parts or none."""

    name: str
    tax_id: str


@dataclass(frozen=True)
class Customer:
    """A customer of one store. ``locale`` is as stored until a service resolves it for its store
    (every Customer a service hands out carries one of its store's locales)."""

    id: int
    store: str  # read with the session on every authenticated request: a store check costs no statement
    reference: str
    email: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    gender: str | None
    date_of_birth: date | None
    locale: str | None
    created_at: datetime
    updated_at: datetime
    status: str = "active"
    phone: str | None = None
    loyalty_card_number: str | None = None
    agreement1: bool = False
    agreement2: bool = False
    agreement3: bool = False
    company: Company | None = None
    has_avatar: bool = False
    pending_email: str | None = None
    pending_phone: str | None = None
    # The back-office's read-only columns (BO §3): level, point of sale, seller, order aggregates.
    level_id: str | None = None
    manually_assigned_level: bool = False
    pos_id: str | None = None
    seller_id: str | None = None
    transactions_count: int = 0
    transactions_amount: int = 0
    transactions_amount_without_delivery_costs: int = 0
    average_transaction_amount: int = 0
    last_transaction_date: datetime | None = None


@dataclass(frozen=True)
class Credentials:
    customer_id: int
    reference: str
    password_hash: str | None
    status: str = "active"


@dataclass(frozen=True)
class TokenPair:
    session_id: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    scope: str = "customer"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a customer and the session its access token belongs to. A company
    token's session names its company user (CB §4.2); a company path's access rule loads it, as the
    database holds it at this request, into ``company_user``."""

    customer: Customer
    session_id: str
    company_user_id: str | None = None
    company_user: CompanyUser | None = None


@dataclass(frozen=True)
class Address:
    id: str
    customer_id: int
    salutation: str
    first_name: str
    last_name: str
    address1: str
    address2: str | None
    address3: str | None
    zip_code: str
    city: str
    iso2_code: str
    country: str
    company: str | None
    phone: str | None
    is_default_billing: bool
    is_default_shipping: bool
    is_default_contact: bool


@dataclass(frozen=True)
class DefaultAddresses:
    """The customer's three default-address pointers (None: no default of that kind)."""

    billing: str | None
    shipping: str | None
    contact: str | None


@dataclass(frozen=True)
class Actor:
    """Who made a change (BO §4.4): a customer (id: its reference), an operator, a client, the system."""

    type: str
    id: str | None

    @classmethod
    def customer(cls, reference: str) -> Actor:
        return cls("customer", reference)


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of a customer's history; ``values`` never holds a secret."""

    id: int
    customer_id: int | None
    customer_reference: str
    event_type: str
    actor: Actor
    changed_fields: list[str]
    values: dict[str, Any]
    points_balance: str | None
    created_at: datetime


@dataclass(frozen=True)
class Operator:
    """A back-office operator (BO §2). ``stores`` None: every store."""

    id: str
    email: str
    first_name: str
    last_name: str
    phone: str | None
    role: str  # admin or seller
    permissions: tuple[str, ...]
    stores: tuple[str, ...] | None
    pos_id: str | None
    allow_point_transfer: bool
    active: bool
    mfa_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class IntegrationClient:
    """A machine-to-machine caller (BO §2.2); ``id`` is its OAuth ``client_id``."""

    id: str
    name: str
    permissions: tuple[str, ...]
    stores: tuple[str, ...] | None
    active: bool
    created_at: datetime
    updated_at: datetime
    last_token_at: datetime | None
    # Tokens carry the generation they were issued at; rotation, permission or store change moves it.
    token_generation: int = 0


@dataclass(frozen=True)
class BackofficePrincipal:
    """The authenticated back-office caller: an operator with its session, or an integration client."""

    id: str
    role: str  # admin, seller or client
    permissions: frozenset[str]
    stores: tuple[str, ...] | None
    session_id: str | None
    operator: Operator | None = None
    client: IntegrationClient | None = None
    # BO §2.1: a password-only session under GLUE_OPERATOR_MFA_REQUIRED may only enrol, confirm, log out.
    enrolment_only: bool = False

    @property
    def is_operator(self) -> bool:
        return self.operator is not None


@dataclass(frozen=True)
class AuditActor:
    """Who acts and through which route, as the audit trail names it (BO §4.12)."""

    id: str
    role: str  # admin, seller, client, or cli
    action: str  # "POST /backoffice/operators"
    request_id: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    id: int
    occurred_at: datetime
    operator_id: str | None
    operator_role: str | None
    action: str
    customer_reference: str | None
    outcome: str
    request_id: str | None
    details: dict[str, object] | None


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price: int

    @property
    def sum_price(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Order:
    """An order of the commerce system's, as ingested (amounts in the store's minor units)."""

    store: str
    order_number: str
    customer_id: int
    customer_reference: str
    order_date: datetime
    status: str
    currency_iso_code: str
    grand_total: int
    delivery_costs: int
    items: tuple[OrderItem, ...]
    locale: str
    company_id: str | None
    company_user_id: str | None
    source_updated_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OrderPage:
    """One offset page of a customer's orders and the count of all that match."""

    orders: tuple[Order, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class IngestResult:
    """An upsert's outcome: created, updated, unchanged or stale."""

    order: Order
    outcome: str


@dataclass(frozen=True)
class PaymentInstrument:
    id: str
    store: str
    customer_id: int
    customer_reference: str
    provider: str
    provider_token: str
    brand: str
    masked_card_number: str
    expiration_month: int
    expiration_year: int
    created_at: datetime
    updated_at: datetime
    expired: bool = False


@dataclass(frozen=True)
class Avatar:
    """A customer's avatar as stored: the re-encoded image, never the bytes that were sent."""

    customer_id: int
    content_type: str
    data: bytes
    sha256: str
    size: int
    width: int
    height: int
    updated_at: datetime


@dataclass(frozen=True)
class PushToken:
    """A device's push token; ``platform`` is android, ios, web or None."""

    id: str
    customer_id: int
    token: str
    platform: str | None
    created_at: datetime


@dataclass(frozen=True)
class Level:
    """A store's level (BO §4.3): ``condition_value`` in the store's minor units, ``reward_percent``
    a two-decimal string, ``translations`` {"de": {"name": "…"}}."""

    id: str
    store: str
    name: str
    condition_value: int
    reward_percent: str
    translations: dict[str, dict[str, str]]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PointOfSale:
    """A point of sale (BO §4.3), where sellers work and customers are served."""

    id: str
    name: str
    identifier: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PointsTransfer:
    """One entry of a customer's points ledger (BO §4.3): an ``add`` or a ``spend``. ``state`` is as
    of today in the store's calendar (an add past its ``expires_on`` is expired before the jobs
    worker marks it); ``remaining_points`` what is left of an active add to spend."""

    id: str
    customer_id: int
    transfer_type: str
    points: Decimal
    remaining_points: Decimal
    state: str
    comment: str | None
    expires_on: date | None
    locked_until: date | None
    actor: Actor
    created_at: datetime
    canceled_at: datetime | None


@dataclass(frozen=True)
class PointsStatus:
    """A customer's points figures (BO §4.3 customer-status), as of today in the store's calendar."""

    points: Decimal
    total_earned_points: Decimal
    used_points: Decimal
    expired_points: Decimal
    locked_points: Decimal
    points_expiring_next_month: Decimal
    points_expiring_breakdown: dict[str, Decimal]


@dataclass(frozen=True)
class CompanyRecord:
    """A B2B company (CB §4.1); ``Company`` is the free label a customer carries (BO §3)."""

    id: str
    store: str
    name: str
    is_active: bool
    external_reference: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CompanyEvent:
    """One entry of a company's history (CB §5.4), in a customer event's shape (BO §4.4); a company
    has no points, so ``points_balance`` is always None."""

    id: int
    company_id: str
    event_type: str
    actor: Actor
    changed_fields: list[str]
    values: dict[str, Any]
    created_at: datetime
    points_balance: None = None


@dataclass(frozen=True)
class CompanyUser:
    """A customer's membership of a company (CB §4.1), with the person's names as the wire shows them.
    ``is_default``: the customer's oldest active membership of an active company."""

    id: str
    company_id: str
    customer_id: int
    customer_reference: str
    store: str
    email: str
    first_name: str | None
    last_name: str | None
    role: str
    is_active: bool
    is_default: bool
    created_at: datetime
    updated_at: datetime
    company: CompanyRecord


@dataclass(frozen=True)
class InvitationSymbol:
    """A company's request code or e-mail domain (CB §5.3)."""

    id: str
    company_id: str
    store: str
    kind: str
    value: str
    role: str
    auto_approve: bool
    is_active: bool
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AccessRequestEvent:
    """One entry of an access request's history (CB §5.4)."""

    id: int
    event_type: str
    actor: Actor
    changed_fields: list[str]
    values: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class AccessRequest:
    """A request for a company account (CB §5.1); ``password_hash`` never leaves the services."""

    id: str
    store: str
    state: str
    email: str
    email_key: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    locale: str | None
    company_hint: str | None
    request_code: str | None
    company_id: str | None
    role: str | None
    decline_reason: str | None
    invalid_reason: str | None
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
