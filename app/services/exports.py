"""The customer data export (BO §4.11, CB §1): everything kept about one customer, read from each
of its tables, never a hash, digest, key or code. An operator's export is audited before it is
answered (so its own entry is in it); the customer's own is not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key
from app.models import (
    AccessRequest,
    Address,
    Avatar,
    HistoryEvent,
    Order,
    PaymentInstrument,
    PointsTransfer,
    PushToken,
)
from app.queries import access_requests as access_request_queries
from app.queries import avatars as avatar_queries
from app.queries import backoffice_customers as bo_queries
from app.queries import credential_changes as credential_change_queries
from app.queries import orders as order_queries
from app.queries import points as points_queries
from app.queries import push_tokens as push_token_queries
from app.services import history
from app.services.addresses import AddressService
from app.services.audit import AuditService
from app.services.backoffice_customers import BackofficeCustomerService, Caller, CustomerView
from app.services.payment_instruments import PaymentInstrumentService
from app.services.points import store_today
from app.stores import StoreCatalogue

__all__ = ["ExportService", "CustomerExport"]


@dataclass(frozen=True)
class CustomerExport:
    """The data export's parts (BO §4.11 and CB §1's), each in its resource's order."""

    exported_at: datetime
    customer: CustomerView
    addresses: list[Address]
    sessions: list[dict[str, Any]]
    push_tokens: list[PushToken]
    avatar: Avatar | None
    points_transfers: list[PointsTransfer]
    history: list[HistoryEvent]
    pending_credential_changes: list[dict[str, Any]]
    audit_events: list[dict[str, Any]]
    import_rows: list[dict[str, Any]]
    orders: list[Order]
    payment_instruments: list[PaymentInstrument]
    company_users: list[dict[str, Any]]
    access_requests: list[AccessRequest]  # of the customer's e-mail in its store (CB §1)


class ExportService:
    def __init__(
        self,
        db: Database,
        stores: StoreCatalogue,
        customers: BackofficeCustomerService,
        addresses: AddressService,
        payment_instruments: PaymentInstrumentService,
        audit: AuditService,
    ) -> None:
        self._db = db
        self._stores = stores
        self._customers = customers
        self._addresses = addresses
        self._payment_instruments = payment_instruments
        self._audit = audit

    async def export(self, reference: str, caller: Caller | None) -> CustomerExport:
        """Everything kept about the customer (BO §4.11); ``caller`` None: the customer's own export
        (the route has checked the token names it). An operator's export is audited first."""
        if caller is not None:
            customer = await self._customers.find(reference, caller)
            await self._audit.append(caller.audit, customer_reference=reference, store=customer.store)
        else:
            found = await bo_queries.customer_by_reference(self._db, reference)
            assert found is not None, reference
            customer = found
        store = self._stores.find(customer.store)
        assert store is not None, customer.store
        db = self._db
        return CustomerExport(
            exported_at=utc_now(),
            customer=await self._customers.view(customer),
            addresses=await self._addresses.list_of(customer.id),
            sessions=await bo_queries.sessions_of(db, customer.id),
            push_tokens=await push_token_queries.list_push_tokens(db, customer.id),
            avatar=await avatar_queries.find_avatar(db, customer.id),
            points_transfers=await points_queries.list_transfers(
                db, customer.id, store_today(self._stores, customer.store), None, None, False, 0, None
            ),
            history=await history.events_of(db, customer),
            pending_credential_changes=await credential_change_queries.exported_changes_of(db, customer.id),
            audit_events=await bo_queries.audit_entries_of(db, reference),
            import_rows=await bo_queries.import_rows_of(db, reference),
            orders=await order_queries.list_orders(
                db, customer.id, reference, status=None, newest_first=False, offset=0, limit=None
            ),
            payment_instruments=await self._payment_instruments.list_of(customer.id, store),
            company_users=await bo_queries.company_users_of(db, customer.id),
            access_requests=await access_request_queries.list_requests(
                db, store=customer.store, email_key=email_key(customer.email), oldest_first=True, limit=None
            ),
        )
