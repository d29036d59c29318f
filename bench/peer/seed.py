"""Seed the peer's database: the same number of users as the service's seed, one argon2id hash made
by the peer's own password helper shared by all (same password as ``bench/seed.py``), and an access
token per user from fastapi-users' own JWT helper. Writes ``id reference email token`` lines.

``python -m bench.peer.seed DATABASE_URL COUNT OUTPUT`` inside the peer virtualenv, with
PEER_JWT_SECRET set.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import asyncpg
from fastapi_users.jwt import generate_jwt
from sqlalchemy.ext.asyncio import create_async_engine

from bench.peer.app import TOKEN_LIFETIME_SECONDS, Base, password_helper

PASSWORD = "Bench-Passw0rd-Correct-Horse"  # the same as bench/seed.py and lua/common.lua


async def seed(database_url: str, count: int) -> list[str]:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    password_hash = password_helper().hash(PASSWORD)
    secret = os.environ["PEER_JWT_SECRET"]
    records, lines = [], []
    for number in range(1, count + 1):
        user_id = uuid.uuid4()
        email = f"customer{number}@bench.example.com"
        records.append((user_id, email, password_hash, True, False, True, f"First{number}", f"Last{number}"))
        token = generate_jwt(
            {"sub": str(user_id), "aud": ["fastapi-users:auth"]}, secret, TOKEN_LIFETIME_SECONDS
        )
        lines.append(f"{number} me {email} {token}\n")
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.copy_records_to_table(
            "user",
            records=records,
            columns=["id", "email", "hashed_password", "is_active", "is_superuser", "is_verified"]
            + ["first_name", "last_name"],
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return lines


def main(database_url: str, count: int, output: Path) -> None:
    lines = asyncio.run(seed(database_url, count))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
