"""Operators' one-time codes (BO §2.1): RFC 6238 TOTP secrets sealed with AES-256-GCM under a key
derived (HKDF-SHA256) from GLUE_OPERATOR_MFA_KEY, and recovery codes kept as SHA-256 digests.

Nothing here touches the database; app/services/operator_mfa.py decides what a code may do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.secret_files import create_once
from app.settings import Settings

__all__ = [
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "SecretBox",
    "load_mfa_key",
    "new_secret",
    "provisioning_uri",
    "matching_step",
    "new_recovery_codes",
    "recovery_code_digest",
    "is_totp_shaped",
]

ISSUER = "glue-customers"
RECOVERY_CODE_COUNT = 10
KEY_FILE_NAME = "operator-mfa.key"
_STEP_SECONDS = 30
_HKDF_INFO = b"glue-customers operator-mfa secrets"
_SEALED_PREFIX = "v1:"
_BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TOTP = re.compile(r"[0-9]{6}")
_RECOVERY = re.compile(r"[A-Z2-7]{16}")


def load_mfa_key(settings: Settings) -> bytes:
    """GLUE_OPERATOR_MFA_KEY's bytes; unset, a random key kept (mode 0600) in ``operator-mfa.key``
    beside the JWT signing key, created once, safe for racing workers."""
    if settings.operator_mfa_key:
        return base64.b64decode(settings.operator_mfa_key.strip())
    key_path = Path(settings.jwt_private_key_path).parent / KEY_FILE_NAME
    create_once(key_path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
    return base64.b64decode(key_path.read_bytes().strip())


class SecretBox:
    """Seals TOTP secrets for one operator each (the operator id is the associated data, so a sealed
    secret copied to another row does not open)."""

    def __init__(self, key_material: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(key_material)
        self._aead = AESGCM(key)

    def seal(self, secret: str, operator_id: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), operator_id.encode())
        return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, operator_id: str) -> str | None:
        """The secret, or None when it was sealed under another key (a new key voids enrolments)."""
        if not sealed.startswith(_SEALED_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_SEALED_PREFIX) :])
            return self._aead.decrypt(raw[:12], raw[12:], operator_id.encode()).decode()
        except (InvalidTag, ValueError):
            return None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def is_totp_shaped(code: str) -> bool:
    return _TOTP.fullmatch(code) is not None


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (previous, current or next) whose TOTP is ``code``, compared in constant time."""
    if not is_totp_shaped(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // _STEP_SECONDS)
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * _STEP_SECONDS), code):
            found = step
    return found


def new_recovery_codes() -> list[str]:
    """Ten codes of 16 base32 characters, shown in groups of four (hyphens are ignored when used)."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_BASE32_ALPHABET) for _ in range(16))  # 80 bits
        codes.append("-".join(raw[index : index + 4] for index in range(0, 16, 4)))
    return codes


def recovery_code_digest(code: str) -> str | None:
    """The SHA-256 digest a recovery code is kept as; None when ``code`` cannot be one."""
    normalised = code.replace("-", "").strip().upper()
    if _RECOVERY.fullmatch(normalised) is None:
        return None
    return hashlib.sha256(normalised.encode()).hexdigest()
