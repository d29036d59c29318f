"""Secret files the service creates on first start (the JWT signing key, the operators' MFA key)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["create_once"]


def create_once(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (mode 0600) unless it exists, safe for racing workers: the file
    appears whole or not at all, and the first worker's content wins."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        os.write(descriptor, content)
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)  # atomic; fails if another worker won the race
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
