"""CPU per access token for each signing algorithm the service offers, through its own TokenSigner.

``.venv/bin/python -m bench.signing`` (a few seconds; not part of ``make bench``). Signing happens
once per login; verification once per token per process (verified tokens are cached) and in every
other service that checks the tokens.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

from app.settings import JWT_ALGORITHMS, Settings
from app.signing import TokenSigner

ROUNDS = 2000


def measure(algorithm: str, directory: Path) -> tuple[float, float, int]:
    settings = Settings(jwt_algorithm=algorithm, jwt_private_key_path=str(directory / f"{algorithm}.pem"))
    signer = TokenSigner(settings)
    session_id = str(uuid.uuid4())
    tokens = [signer.issue("DE--1", session_id)[0] for _ in range(50)]  # warm-up
    started = time.process_time()
    tokens = [signer.issue("DE--1", session_id)[0] for _ in range(ROUNDS)]
    sign = (time.process_time() - started) / ROUNDS
    started = time.process_time()
    for token in tokens:
        signer._verify_signature_and_claims(token)  # the uncached path
    verify = (time.process_time() - started) / ROUNDS
    return sign, verify, len(tokens[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        for algorithm in JWT_ALGORITHMS:
            sign, verify, size = measure(algorithm, Path(directory))
            print(
                f"{algorithm}: sign {sign * 1e6:6.0f} us CPU, verify {verify * 1e6:6.0f} us CPU,"
                f" token {size} bytes"
            )


if __name__ == "__main__":
    main()
