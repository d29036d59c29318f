"""The customer as the back-office sees it (BO §3, §3.1, §4.1, §4.2, §4.4): operators and
integration clients read and write customers of their stores; a seller only those of its point of
sale (or of none). Every write is one transaction with its history event and its audit entry;
every read naming a customer is audited before it is answered."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from app.clock import utc_now
from app.database import Database
from app.emails import email_key, normalise_email
from app.keys import link_with_token, new_key
from app.mail import MailKind, Outbox, OutgoingMail, render_mail
from app.models import Actor, AuditActor, Company, Customer, DefaultAddresses, HistoryEvent
from app.queries import access_requests as access_request_queries
from app.queries import addresses as address_queries
from app.queries import backoffice_customers as bo_queries
from app.queries import customers as queries
from app.queries import history as history_queries
from app.queries import levels as level_queries
from app.queries import passwords as password_queries
from app.queries import sessions as session_queries
from app.queries import sms_codes as sms_code_queries
from app.services import history
from app.services.audit import AuditService
from app.services.confirmations import ConfirmationService
from app.services.customers import (
    GENDERS,
    REGISTERED_VALUES,
    CustomerService,
    column_values,
    refuse_taken,
    store_locale,
)
from app.settings import Settings
from app.stores import Store, StoreCatalogue
from errors import ApiError, catalogue

__all__ = [
    "BackofficeCustomerService",
    "Caller",
    "NewCustomer",
    "PreparedCustomer",
    "CustomerView",
    "level_refusal",
]

CHOICE = "The value you selected is not a valid choice."
# Rows per multi-row INSERT of a bulk creation (well within both databases' parameter limits).
_BULK_CHUNK = 250
ACTIVATION_WAS_SENT = "ActivationWasSent"
CUSTOMER_WAS_DEACTIVATED = "CustomerWasDeactivated"
CUSTOMER_WAS_ERASED = "CustomerWasErased"

# What a back-office creation's event shows: a registration's values, and what operators also set.
_REGISTERED_VALUES = (*REGISTERED_VALUES, "loyalty_card_number", "pos_id", "seller_id")
# Named once: a bulk import names them for thousands of customers.
_REGISTERED_WIRE_NAMES = tuple((name, history.wire_name(name)) for name in _REGISTERED_VALUES)


@dataclass(frozen=True)
class Caller:
    """Who calls from the back-office: its audit name, its history name, its stores (None: all),
    and for a seller its own id and point of sale."""

    audit: AuditActor
    actor: Actor
    stores: tuple[str, ...] | None
    seller_id: str | None = None
    pos_id: str | None = None

    @property
    def is_seller(self) -> bool:
        return self.seller_id is not None


@dataclass(frozen=True)
class CustomerView:
    """A customer with what only the back-office shows: its labels and its store's currency."""

    customer: Customer
    labels: list[dict[str, str]]
    currency: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.customer, name)


@dataclass(frozen=True)
class NewCustomer:
    first_name: str
    last_name: str
    email: str
    agreement1: Any
    salutation: str | None = None
    gender: str | None = None
    date_of_birth: date | None = None
    locale: str | None = None
    phone: str | None = None
    loyalty_card_number: str | None = None
    labels: list[dict[str, str]] = field(default_factory=list)
    agreement2: bool = False
    agreement3: bool = False
    company: Company | None = None
    store: str | None = None
    pos_id: str | None = None
    seller_id: str | None = None
    invite: bool = False
    address: dict[str, Any] | None = None  # SF §4's attributes without names and default flags
    # An import may backdate the customer and create it inactive (BO §3, §4.7).
    created_at: datetime | None = None
    active: bool = True
    level_id: str | None = None  # a manual level of the store (BO §3: create and import)


@dataclass(frozen=True)
class PreparedCustomer:
    """A checked creation: the customer's columns (without its reference), its labels and
    whether it is invited."""

    store: str
    columns: dict[str, Any]
    labels: list[dict[str, str]]
    invite: bool = False


def unique_labels(labels: list[dict[str, str]]) -> list[dict[str, str]]:
    """Exact duplicates kept once, in their order."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for label in labels:
        pair = (label["key"], label["value"])
        if pair not in seen:
            seen.add(pair)
            kept.append({"key": label["key"], "value": label["value"]})
    return kept


class BackofficeCustomerService:
    def __init__(
        self,
        db: Database,
        stores: StoreCatalogue,
        customers: CustomerService,
        confirmations: ConfirmationService,
        audit: AuditService,
        settings: Settings,
        outbox: Outbox,
    ) -> None:
        self._db = db
        self._settings = settings
        self._outbox = outbox
        self._stores = stores
        self._customers = customers
        self._confirmations = confirmations
        self._audit = audit

    def _store(self, code: str) -> Store:
        found = self._stores.find(code)
        assert found is not None, code
        return found

    async def find(
        self, reference: str, caller: Caller, *, write: bool = False, reading: bool = False
    ) -> Customer:
        """The customer the caller may touch: unknown, erased or of another store 402; a seller's
        outside its point of sale 1001 (audited as a refusal) unless ``reading`` (BO §2.3: a seller
        reads any customer: profile, addresses, status, transfers, push tokens, avatar); anonymized,
        for a write, 1012."""
        customer = await bo_queries.customer_by_reference(self._db, reference)
        if customer is None or (caller.stores is not None and customer.store not in caller.stores):
            raise ApiError(catalogue.CUSTOMER_NOT_FOUND)
        if caller.is_seller and not reading and customer.pos_id not in (None, caller.pos_id):
            await self._audit.append(
                caller.audit, outcome="refused", customer_reference=reference, store=customer.store
            )
            raise ApiError(catalogue.CUSTOMER_OF_ANOTHER_POS)
        if write and customer.status == "anonymized":
            raise ApiError(catalogue.CUSTOMER_ANONYMIZED)
        return customer

    async def view(self, customer: Customer) -> CustomerView:
        store = self._store(customer.store)
        resolved = customer if customer.status == "anonymized" else _resolved(customer, store)
        return CustomerView(
            resolved, await bo_queries.labels_of(self._db, customer.id), store.currency_iso_code
        )

    async def read(self, reference: str, caller: Caller) -> CustomerView:
        """One customer; the read is audited before it is answered."""
        customer = await self.find(reference, caller, reading=True)
        await self._audit.append(caller.audit, customer_reference=reference, store=customer.store)
        return await self.view(customer)

    def audited(
        self, customer: Customer, caller: Caller, fields: list[str] | None = None
    ) -> Callable[[], Awaitable[None]]:
        """The audit entry of a write another service makes, to append inside its transaction."""

        async def append() -> None:
            await self._audit.append(
                caller.audit,
                customer_reference=customer.reference,
                store=customer.store,
                details={"fields": fields} if fields else None,
            )

        return append

    async def audit_read(self, customer: Customer, caller: Caller) -> None:
        """The audit entry of a read another service answers (written before the answer)."""
        await self._audit.append(caller.audit, customer_reference=customer.reference, store=customer.store)

    def _check_pos(self, pos_id: Any, caller: Caller) -> None:
        if caller.is_seller and pos_id is not None and pos_id != caller.pos_id:
            raise ApiError(catalogue.CUSTOMER_OF_ANOTHER_POS)

    async def create(self, new: NewCustomer, caller: Caller) -> CustomerView:
        """An active customer without a password, of one of the caller's stores (default: the
        first). Checks: store, locale, phone 901 (with an address, a salutation is required too);
        gender 414; agreement1 422; then e-mail 400, phone 1010, loyalty card 1011. A seller creates
        in its own point of sale, as its seller. ``address`` becomes its first address, every
        default (CustomerAddressWasAdded); ``invite`` mails a restore key valid
        GLUE_INVITATION_KEY_TTL to the store's restore URL, in the same transaction."""
        prepared = self.prepare(new, caller)
        try:
            async with self._db.transaction():
                if await self.unknown_levels([prepared]):
                    raise level_refusal()
                customer = await self.insert(prepared, caller, address=new.address, invite=new.invite)
        except queries.AttributeTaken as taken:
            raise refuse_taken(taken) from None
        if new.invite:
            self._outbox.wake()
        return await self.view(customer)

    def prepare(self, new: NewCustomer, caller: Caller) -> PreparedCustomer:
        """A creation's checks before any write (store, point of sale, locale, phone, gender,
        agreement1), as ``create`` lists them; the customer's columns and labels."""
        allowed = caller.stores or tuple(store.code for store in self._stores)
        if new.store is None:
            store = self._store(allowed[0])
        else:
            named = self._stores.find(new.store)
            if named is None or named.code not in allowed:
                raise ApiError.invalid("store", CHOICE)
            store = named
        pos_id, seller_id = new.pos_id, new.seller_id
        if caller.is_seller:
            self._check_pos(pos_id, caller)
            pos_id, seller_id = caller.pos_id, caller.seller_id
        locale = store_locale(store, new.locale) if new.locale is not None else store.default_locale
        phone = self._customers.phone(new.phone) if new.phone is not None else None
        if new.address is not None and new.salutation is None:
            raise ApiError.invalid("salutation", "This field is missing.")
        if new.gender is not None and new.gender not in GENDERS:
            raise ApiError(catalogue.INVALID_GENDER)
        if new.agreement1 is not True:
            raise ApiError(catalogue.TERMS_NOT_ACCEPTED)
        now = utc_now()
        email = normalise_email(new.email)  # its key is its normal form lower-cased (app.emails)
        return PreparedCustomer(
            store=store.code,
            labels=unique_labels(new.labels),
            invite=new.invite,
            columns={
                "store": store.code,
                "email": email,
                "email_key": email.lower(),
                "password_hash": None,
                "salutation": new.salutation,
                "first_name": new.first_name,
                "last_name": new.last_name,
                "gender": new.gender,
                "date_of_birth": new.date_of_birth,
                "locale": locale,
                "status": "active" if new.active else "inactive",
                "phone": phone,
                "loyalty_card_number": new.loyalty_card_number,
                "loyalty_card_key": (new.loyalty_card_number.lower() if new.loyalty_card_number else None),
                "agreement1": True,
                "agreement2": new.agreement2,
                "agreement3": new.agreement3,
                **column_values({"company": new.company}),
                "pos_id": pos_id,
                "seller_id": seller_id,
                "level_id": new.level_id,
                "manually_assigned_level": new.level_id is not None,
                "created_at": new.created_at or now,
                "updated_at": now,
            },
        )

    async def insert(
        self,
        prepared: PreparedCustomer,
        caller: Caller,
        channel: str = "backoffice",
        *,
        address: dict[str, Any] | None = None,
        invite: bool = False,
    ) -> Customer:
        """Write a prepared customer, its labels, its CustomerWasRegistered, its first address and
        invitation when asked, and its audit entry, in the caller's transaction; a taken e-mail,
        phone or card raises ``AttributeTaken``."""
        number = await queries.next_reference_number(self._db, prepared.store)
        customer = await queries.insert_customer(
            self._db, {**prepared.columns, "reference": f"{prepared.store}--{number}"}
        )
        if prepared.labels:
            await bo_queries.replace_labels(self._db, customer.id, prepared.labels)
        changed, values = _registration(customer, prepared, channel)
        await history.record(
            self._db,
            customer,
            history.CUSTOMER_WAS_REGISTERED,
            caller.actor,
            prepared.columns["updated_at"],
            changed_fields=changed,
            values=values,
        )
        fields = list(changed)
        if address is not None:
            await self._add_first_address(customer, address, caller, prepared.columns["updated_at"])
            fields.append("address")
        if invite:
            key, mail = self._invitation(
                customer, self._store(prepared.store), prepared.columns["updated_at"]
            )
            await password_queries.insert_restore_keys(self._db, [key])
            await self._outbox.enqueue(mail)
            fields.append("invite")
        await self._audit.append(
            caller.audit,
            customer_reference=customer.reference,
            store=prepared.store,
            details={"fields": sorted(fields)},
        )
        return customer

    async def insert_many(
        self, prepared: list[PreparedCustomer], caller: Caller, channel: str
    ) -> list[Customer]:
        """``insert`` for several customers at once (a bulk import's batch): the same rows, events,
        invitations and audit entries, a few statements in all. A taken e-mail, phone or card
        raises ``AttributeTaken`` for the whole call (the caller's savepoint undoes it)."""
        numbers: dict[str, list[int]] = {}
        for store in {item.store for item in prepared}:
            count = sum(1 for item in prepared if item.store == store)
            numbers[store] = list(await queries.reserve_reference_numbers(self._db, store, count))
        rows = [
            {**item.columns, "reference": f"{item.store}--{numbers[item.store].pop(0)}"} for item in prepared
        ]
        created: dict[str, Customer] = {}
        for start in range(0, len(rows), _BULK_CHUNK):
            for customer in await queries.insert_customers(self._db, rows[start : start + _BULK_CHUNK]):
                created[customer.reference] = customer
        customers = [created[row["reference"]] for row in rows]
        await bo_queries.insert_labels(
            self._db,
            [
                (customer.id, label)
                for customer, item in zip(customers, prepared, strict=True)
                for label in item.labels
            ],
        )
        events = []
        entries = []
        keys = []
        mails = []
        for customer, item in zip(customers, prepared, strict=True):
            changed, values = _registration(customer, item, channel)
            now = item.columns["updated_at"]
            events.append((customer, history.CUSTOMER_WAS_REGISTERED, caller.actor, now, changed, values))
            if item.invite:
                key, mail = self._invitation(customer, self._store(item.store), now)
                keys.append(key)
                mails.append(mail)
            fields = [*changed, "invite"] if item.invite else changed
            entries.append((customer.reference, item.store, {"fields": sorted(fields)}))
        for start in range(0, len(events), _BULK_CHUNK):
            await history.record_many(self._db, events[start : start + _BULK_CHUNK])
            await self._audit.append_many(caller.audit, entries[start : start + _BULK_CHUNK])
        await password_queries.insert_restore_keys(self._db, keys)
        await self._outbox.enqueue_many(mails)
        return customers

    async def unknown_levels(self, prepared: Sequence[PreparedCustomer]) -> set[int]:
        """BO §3, §4.3: the positions of the creations whose ``levelId`` is no level of their
        store (each refused as ``level_refusal``), in the caller's transaction, one query in all;
        the levels named are locked for share until it ends (PostgreSQL)."""
        named = [item.columns["level_id"] for item in prepared if item.columns["level_id"] is not None]
        if not named:
            return set()
        stores = await level_queries.level_stores(self._db, named)
        return {
            position
            for position, item in enumerate(prepared)
            if item.columns["level_id"] is not None and stores.get(item.columns["level_id"]) != item.store
        }

    async def _add_first_address(
        self, customer: Customer, address: dict[str, Any], caller: Caller, now: datetime
    ) -> None:
        """The first address, with the customer's salutation and names, every default of it."""
        values = {
            **address,
            "salutation": customer.salutation,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
        }
        address_id = str(uuid.uuid4())
        await address_queries.insert_address(
            self._db,
            {**values, "id": address_id, "customer_id": customer.id, "created_at": now, "updated_at": now},
        )
        await address_queries.set_default_addresses(
            self._db,
            customer.id,
            DefaultAddresses(billing=address_id, shipping=address_id, contact=address_id),
        )
        await history.record(
            self._db,
            customer,
            history.CUSTOMER_ADDRESS_WAS_ADDED,
            caller.actor,
            now,
            changed_fields=[history.wire_name(name) for name in values],
            values={
                "addressId": address_id,
                **{history.wire_name(name): value for name, value in values.items()},
            },
        )

    def _invitation(
        self, customer: Customer, store: Store, now: datetime
    ) -> tuple[password_queries.NewRestoreKey, OutgoingMail]:
        """BO §4.2: an SF restore key valid GLUE_INVITATION_KEY_TTL and its mail, in the store's
        language, to its restore URL; the restore that spends it sets the first password."""
        key, digest = new_key()
        ttl = self._settings.invitation_key_ttl
        link_base = store.restore_password_url or self._settings.restore_password_url
        name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        mail = render_mail(
            MailKind.INVITATION,
            customer.email,
            store.resolve_locale(customer.locale),
            name=name,
            link=link_with_token(link_base, key),
            days=str(max(1, round(ttl / 86400))),
        )
        return password_queries.NewRestoreKey(digest, customer.id, now, now + timedelta(seconds=ttl)), mail

    async def insert_registered(
        self,
        store: Store,
        columns: dict[str, Any],
        labels: list[dict[str, str]],
        actor: Actor,
        now: datetime,
        *,
        channel: str,
    ) -> Customer:
        """A customer of ``store`` with its next reference, its labels and its CustomerWasRegistered
        event (values extended by ``channel``), inside the caller's transaction. A taken e-mail,
        phone or card raises AttributeTaken."""
        number = await queries.next_reference_number(self._db, store.code)
        customer = await queries.insert_customer(
            self._db,
            {
                "store": store.code,
                "reference": f"{store.code}--{number}",
                **columns,
                "created_at": now,
                "updated_at": now,
            },
        )
        await bo_queries.replace_labels(self._db, customer.id, labels)
        values = {history.wire_name(name): getattr(customer, name) for name in _REGISTERED_VALUES}
        await history.record(
            self._db,
            customer,
            history.CUSTOMER_WAS_REGISTERED,
            actor,
            now,
            changed_fields=[*values, "labels"],
            values={**values, "labels": labels, "channel": channel},
        )
        return customer

    async def update(self, reference: str, changes: dict[str, Any], caller: Caller) -> CustomerView:
        """PATCH: as the storefront's (901, 414, 400, 1010; 410 when gone meanwhile), plus the card
        (1011), labels (replaced), ``posId`` (a seller: only to its own, 1001) and ``sellerId`` (a
        seller's is ignored). One CustomerDetailsWereUpdated with what changed."""
        customer = await self.find(reference, caller, write=True)
        values = dict(changes)
        if caller.is_seller:
            values.pop("seller_id", None)
            if "pos_id" in values:
                self._check_pos(values["pos_id"], caller)
        labels = values.pop("labels", None)
        store = self._store(customer.store)
        prepared = self._customers.prepare_update(customer, values, store)
        columns, changed, _ = prepared if prepared is not None else ({}, {}, {})
        if labels is not None:
            labels = unique_labels(labels)
            if labels != await bo_queries.labels_of(self._db, customer.id):
                changed["labels"] = labels
        if not changed and not columns:
            return await self.view(customer)
        now = utc_now()
        columns["updated_at"] = now
        try:
            async with self._db.transaction():
                updated = await queries.update_customer(self._db, customer.id, columns)
                if updated is not None and changed:
                    if "labels" in changed:
                        await bo_queries.replace_labels(self._db, customer.id, changed["labels"])
                    names = [history.wire_name(name) for name in changed]
                    await history.record(
                        self._db,
                        updated,
                        history.CUSTOMER_DETAILS_WERE_UPDATED,
                        caller.actor,
                        now,
                        changed_fields=names,
                        values={history.wire_name(name): value for name, value in changed.items()},
                    )
                    await self._audit.append(
                        caller.audit,
                        customer_reference=reference,
                        store=customer.store,
                        details={"fields": sorted(names)},
                    )
        except queries.AttributeTaken as taken:
            raise refuse_taken(taken) from None
        if updated is None:
            raise ApiError(catalogue.CUSTOMER_SAVE_FAILED)
        return await self.view(updated)

    async def activate(self, reference: str, caller: Caller) -> None:
        """Pending or inactive → active, consuming open registration keys and SMS codes;
        already active: nothing written."""
        customer = await self.find(reference, caller, write=True)
        if customer.status == "active":
            return
        now = utc_now()
        async with self._db.transaction():
            if not await bo_queries.set_status(self._db, customer.id, "active", now):
                return
            await bo_queries.spend_registration_keys(self._db, customer.id, now)
            await sms_code_queries.delete_codes(self._db, customer.id)
            await history.record(
                self._db,
                customer,
                history.CUSTOMER_WAS_ACTIVATED,
                caller.actor,
                now,
                changed_fields=["status"],
                values={"status": "active", "method": "operator"},
            )
            await self._audit.append(
                caller.audit,
                customer_reference=reference,
                store=customer.store,
                details={"fields": ["status"]},
            )

    async def deactivate(self, reference: str, caller: Caller) -> None:
        """Pending or active → inactive; every session of the customer ends at once (its access
        tokens fail from the next request). Already inactive: nothing written."""
        customer = await self.find(reference, caller, write=True)
        if customer.status == "inactive":
            return
        now = utc_now()
        async with self._db.transaction():
            if not await bo_queries.set_status(self._db, customer.id, "inactive", now):
                return
            await session_queries.revoke_customer_sessions(self._db, customer.id, now)
            await history.record(
                self._db,
                customer,
                CUSTOMER_WAS_DEACTIVATED,
                caller.actor,
                now,
                changed_fields=["status"],
                values={"status": "inactive"},
            )
            await self._audit.append(
                caller.audit,
                customer_reference=reference,
                store=customer.store,
                details={"fields": ["status"]},
            )

    async def send_activation_email(self, reference: str, caller: Caller) -> None:
        """A new registration key mailed to a pending customer (else 1013)."""
        customer = await self.find(reference, caller, write=True)
        if customer.status != "pending":
            raise ApiError(catalogue.NOT_AWAITING_ACTIVATION)
        store = self._store(customer.store)
        now = utc_now()
        async with self._db.transaction():
            await self._confirmations.issue(customer, store)
            await history.record(
                self._db, customer, ACTIVATION_WAS_SENT, caller.actor, now, values={"channel": "email"}
            )
            await self._audit.append(caller.audit, customer_reference=reference, store=customer.store)
        self._confirmations.deliver_after_commit()

    async def anonymize(self, reference: str, caller: Caller) -> None:
        """The storefront's anonymization, by an operator; an anonymized customer: nothing written."""
        customer = await self.find(reference, caller)
        if customer.status == "anonymized":
            return

        async def audited() -> None:
            await self._audit.append(caller.audit, customer_reference=reference, store=customer.store)

        await self._customers.anonymize(customer, caller.actor, audited)

    async def erase(self, reference: str, caller: Caller) -> None:
        """Delete the customer and its rows in one transaction; one CustomerWasErased (reference,
        actor, time) and the audit entries stay. Its tokens fail at once; the reference is never
        given again (the store's sequence moves on). Already erased: 204, nothing written."""
        customer = await bo_queries.customer_by_reference(self._db, reference)
        if customer is None and await self._erased_in_scope(reference, caller):
            return
        customer = await self.find(reference, caller)
        now = utc_now()
        async with self._db.transaction():
            await bo_queries.erase_customer(self._db, customer)
            # CB §1: the access requests of its e-mail in its store go too.
            await access_request_queries.delete_requests_of_email(
                self._db, customer.store, email_key(customer.email)
            )
            await history_queries.append_event(
                self._db,
                customer_id=None,
                customer_reference=reference,
                event_type=CUSTOMER_WAS_ERASED,
                actor=caller.actor,
                changed_fields=[],
                values={},
                now=now,
            )
            await self._audit.append(caller.audit, customer_reference=reference, store=customer.store)

    async def _erased_in_scope(self, reference: str, caller: Caller) -> bool:
        """Whether ``reference`` was erased in one of the caller's stores (its prefix is its store)."""
        store = reference.partition("--")[0]
        if caller.stores is not None and store not in caller.stores:
            return False
        events = await bo_queries.history_page(self._db, reference, (CUSTOMER_WAS_ERASED,), None, 1)
        return bool(events)

    async def count_matching(self, email_or_phone: str, caller: Caller) -> int:
        """How many of the caller's stores' customers have exactly this e-mail or phone (audited). A
        seller's check counts them whatever their point of sale: sellers read any customer (BO
        §2.3), only their writes keep to their own."""
        phone: str | None = None
        if "@" not in email_or_phone:
            try:
                phone = self._customers.phone(email_or_phone)
            except ApiError:
                phone = None
        found = await bo_queries.count_by_email_or_phone(
            self._db, email_key(email_or_phone), phone, caller.stores
        )
        await self._audit.append(caller.audit, details={"filters": ["emailOrPhone"]})
        return found

    async def history(
        self, reference: str, caller: Caller, event_types: tuple[str, ...], before_id: int | None, limit: int
    ) -> list[HistoryEvent]:
        """The customer's events, newest first (audited before it is answered); an erased customer's
        is its one CustomerWasErased."""
        if await self._erased_in_scope(reference, caller):
            store = reference.partition("--")[0]
        else:
            store = (await self.find(reference, caller)).store
        events = await bo_queries.history_page(self._db, reference, event_types, before_id, limit)
        await self._audit.append(caller.audit, customer_reference=reference, store=store)
        return events


def level_refusal() -> ApiError:
    """A ``levelId`` that is no level of the customer's store: 901 choice, as an assignment's."""
    return ApiError.invalid("levelId", CHOICE)


def _registration(
    customer: Customer, prepared: PreparedCustomer, channel: str
) -> tuple[list[str], dict[str, Any]]:
    """A creation's CustomerWasRegistered: its changed fields and values (a manual level's too)."""
    values = {wire: getattr(customer, name) for name, wire in _REGISTERED_WIRE_NAMES}
    if customer.manually_assigned_level:
        values.update(levelId=customer.level_id, manuallyAssignedLevel=True)
    return [*values, "labels"], {**values, "labels": prepared.labels, "channel": channel}


def _resolved(customer: Customer, store: Store) -> Customer:
    return replace(customer, locale=store.resolve_locale(customer.locale))
