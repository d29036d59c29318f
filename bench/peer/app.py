"""The benchmark's peer: a fastapi-users 15 service doing what this service's scenarios do.

fastapi-users' own documented setup (SQLAlchemy over asyncpg, bearer transport, JWT strategy),
with the service's argon2id parameters (m=19456 KiB, t=2, p=1, 32-byte hash, 16-byte salt) so that
both spend the same on a password. Scenarios map as: GET own profile = ``GET /users/me``, login =
``POST /auth/jwt/login``, registration = ``POST /auth/register``, PATCH own profile =
``PATCH /users/me``.

Runs in its own virtualenv (``bench/.peer-venv``, from ``bench/peer/requirements.txt``) under
``uvicorn --factory bench.peer.app:app`` with PEER_DATABASE_URL, PEER_JWT_SECRET and
PEER_POOL_SIZE set by ``bench/run.py``. It imports nothing of this service.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.password import PasswordHelper
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1, "hash_len": 32, "salt_len": 16}
TOKEN_LIFETIME_SECONDS = 28800


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)


class UserRead(schemas.BaseUser[uuid.UUID]):
    first_name: str | None = None
    last_name: str | None = None


class UserCreate(schemas.BaseUserCreate):
    first_name: str | None = None
    last_name: str | None = None


class UserUpdate(schemas.BaseUserUpdate):
    first_name: str | None = None
    last_name: str | None = None


def password_helper() -> PasswordHelper:
    return PasswordHelper(PasswordHash((Argon2Hasher(**ARGON2),)))


def app() -> FastAPI:
    secret = os.environ["PEER_JWT_SECRET"]
    engine = create_async_engine(
        os.environ["PEER_DATABASE_URL"], pool_size=int(os.environ.get("PEER_POOL_SIZE", "10"))
    )
    session_maker = async_sessionmaker(engine, expire_on_commit=False)
    helper = password_helper()

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = secret
        verification_token_secret = secret

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with session_maker() as session:
            yield session

    async def get_user_db(session: AsyncSession = Depends(get_session)) -> AsyncIterator[Any]:  # noqa: B008
        yield SQLAlchemyUserDatabase(session, User)

    async def get_user_manager(user_db: Any = Depends(get_user_db)) -> AsyncIterator[UserManager]:  # noqa: B008
        yield UserManager(user_db, helper)

    def get_jwt_strategy() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=secret, lifetime_seconds=TOKEN_LIFETIME_SECONDS)

    backend = AuthenticationBackend(
        name="jwt", transport=BearerTransport(tokenUrl="auth/jwt/login"), get_strategy=get_jwt_strategy
    )
    users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    application = FastAPI(lifespan=lifespan)
    application.include_router(users.get_auth_router(backend), prefix="/auth/jwt")
    application.include_router(users.get_register_router(UserRead, UserCreate), prefix="/auth")
    application.include_router(users.get_users_router(UserRead, UserUpdate), prefix="/users")

    @application.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return application
