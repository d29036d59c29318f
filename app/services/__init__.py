"""Domain services: the business rules. They know no HTTP and no JSON:API."""

from __future__ import annotations

from dataclasses import dataclass

from app.database import Database
from app.passwords import PasswordHasherService
from app.services.addresses import AddressService
from app.services.customers import CustomerService
from app.services.limiter import AttemptLimiter, AttemptStore, build_limiter
from app.services.sessions import SessionService
from app.settings import Settings
from app.signing import TokenSigner

__all__ = ["Services", "build_services"]


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    signer: TokenSigner
    customers: CustomerService
    sessions: SessionService
    addresses: AddressService
    limiter: AttemptLimiter
    limiter_store: AttemptStore


def build_services(settings: Settings) -> Services:
    db = Database(settings)
    hasher = PasswordHasherService(settings)
    signer = TokenSigner(settings)
    limiter, limiter_store = build_limiter(settings, db)
    return Services(
        settings=settings,
        db=db,
        signer=signer,
        customers=CustomerService(db, settings, hasher),
        sessions=SessionService(db, settings, hasher, signer, limiter),
        addresses=AddressService(db),
        limiter=limiter,
        limiter_store=limiter_store,
    )
