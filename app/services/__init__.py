"""Domain services: the business rules. They know no HTTP and no JSON:API."""

from __future__ import annotations

from dataclasses import dataclass

from app.database import Database
from app.mail import Outbox
from app.passwords import PasswordHasherService
from app.services.access_requests import AccessRequestService
from app.services.activation import ActivationService
from app.services.addresses import AddressService
from app.services.audit import AuditService
from app.services.avatars import AvatarService
from app.services.backoffice_customers import BackofficeCustomerService
from app.services.companies import CompanyService
from app.services.company_users import CompanyUserService
from app.services.confirmations import ConfirmationService
from app.services.credential_changes import CredentialChangeService
from app.services.customers import CustomerService
from app.services.exports import ExportService
from app.services.imports import ImportService, RowLoader
from app.services.integration_clients import IntegrationClientService
from app.services.invitation_symbols import InvitationSymbolService
from app.services.levels import LevelService
from app.services.limiter import AttemptLimiter, AttemptStore, build_limiter
from app.services.operator_mfa import OperatorMfaService
from app.services.operator_sessions import OperatorSessionService
from app.services.operators import OperatorService
from app.services.orders import OrderService
from app.services.passwords import PasswordService
from app.services.payment_instruments import PaymentInstrumentService
from app.services.points import PointsService
from app.services.points_of_sale import PointOfSaleService
from app.services.push_tokens import PushTokenService
from app.services.search import SearchService
from app.services.sessions import SessionService
from app.services.sms_codes import HKDF_PURPOSE, SmsCodeService
from app.services.statistics import StatisticsService
from app.settings import Settings
from app.signing import TokenSigner
from app.stores import StoreCatalogue
from app.totp import SecretBox, load_mfa_key

__all__ = ["Services", "build_services"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    stores: StoreCatalogue
    db: Database
    hasher: PasswordHasherService
    signer: TokenSigner
    customers: CustomerService
    sessions: SessionService
    addresses: AddressService
    limiter: AttemptLimiter
    limiter_store: AttemptStore
    outbox: Outbox
    passwords: PasswordService
    confirmations: ConfirmationService
    statistics: StatisticsService
    sms_codes: SmsCodeService
    audit: AuditService
    operators: OperatorService
    operator_sessions: OperatorSessionService
    operator_mfa: OperatorMfaService
    integration_clients: IntegrationClientService
    orders: OrderService
    payment_instruments: PaymentInstrumentService
    avatars: AvatarService
    push_tokens: PushTokenService
    activation: ActivationService
    credential_changes: CredentialChangeService
    search: SearchService
    backoffice_customers: BackofficeCustomerService
    levels: LevelService
    points_of_sale: PointOfSaleService
    points: PointsService
    imports: ImportService
    companies: CompanyService
    company_users: CompanyUserService
    exports: ExportService
    invitation_symbols: InvitationSymbolService
    access_requests: AccessRequestService


def build_services(settings: Settings, *, import_row_loader: RowLoader | None = None) -> Services:
    """Every service; ``import_row_loader`` (the schema validating an import's rows, which the
    app factory passes) lets this process's jobs worker run imports."""
    db = Database(settings)
    hasher = PasswordHasherService(settings)
    signer = TokenSigner(settings)
    limiter, limiter_store = build_limiter(settings, db)
    outbox = Outbox(db, settings)
    confirmations = ConfirmationService(db, settings, outbox)
    audit = AuditService(db)
    sms_codes = SmsCodeService(db, settings, signer.derived_key(HKDF_PURPOSE))
    activation = ActivationService(
        db,
        settings,
        outbox,
        sms_codes,
        confirmations,
        audit,
        code_limiter=AttemptLimiter(limiter_store, settings.code_attempt_window),
        resend_limiter=AttemptLimiter(limiter_store, settings.forgotten_password_limit_window),
    )
    credential_changes = CredentialChangeService(
        db, settings, outbox, sms_codes, AttemptLimiter(limiter_store, settings.code_attempt_window)
    )
    customers = CustomerService(db, settings, hasher, confirmations, activation, credential_changes)
    operator_mfa = OperatorMfaService(db, settings, limiter, audit, SecretBox(load_mfa_key(settings)))
    backoffice_customers = BackofficeCustomerService(
        db, settings.store_catalogue, customers, confirmations, audit, settings, outbox
    )
    companies = CompanyService(db, settings.store_catalogue, audit)
    addresses = AddressService(db)
    payment_instruments = PaymentInstrumentService(db)
    return Services(
        settings=settings,
        stores=settings.store_catalogue,
        db=db,
        hasher=hasher,
        signer=signer,
        customers=customers,
        sessions=SessionService(db, settings, hasher, signer, limiter),
        addresses=addresses,
        limiter=limiter,
        limiter_store=limiter_store,
        outbox=outbox,
        passwords=PasswordService(
            db,
            settings,
            hasher,
            customers,
            outbox,
            AttemptLimiter(limiter_store, settings.forgotten_password_limit_window),
        ),
        confirmations=confirmations,
        statistics=StatisticsService(db),
        sms_codes=sms_codes,
        audit=audit,
        operators=OperatorService(db, settings, hasher, audit),
        operator_sessions=OperatorSessionService(db, settings, hasher, signer, limiter, audit, operator_mfa),
        operator_mfa=operator_mfa,
        integration_clients=IntegrationClientService(db, settings, audit),
        orders=OrderService(db),
        payment_instruments=payment_instruments,
        avatars=AvatarService(db, settings),
        push_tokens=PushTokenService(db, settings),
        activation=activation,
        credential_changes=credential_changes,
        search=SearchService(db, settings, settings.store_catalogue),
        backoffice_customers=backoffice_customers,
        levels=LevelService(db, settings.store_catalogue, audit),
        points_of_sale=PointOfSaleService(db, audit),
        points=PointsService(db, settings.store_catalogue, audit),
        imports=ImportService(db, settings, backoffice_customers, audit, outbox, import_row_loader),
        companies=companies,
        company_users=CompanyUserService(
            db, settings, settings.store_catalogue, outbox, audit, companies, backoffice_customers
        ),
        exports=ExportService(
            db, settings.store_catalogue, backoffice_customers, addresses, payment_instruments, audit
        ),
        invitation_symbols=InvitationSymbolService(db, audit, companies),
        access_requests=AccessRequestService(
            db,
            settings,
            settings.store_catalogue,
            hasher,
            customers,
            backoffice_customers,
            outbox,
            audit,
            AttemptLimiter(limiter_store, settings.access_request_limit_window),
        ),
    )
