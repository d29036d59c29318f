"""The service's version: the one ``pyproject.toml`` declares (``/health/live``, ``/openapi.yaml``)."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["VERSION"]

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _version() -> str:
    # A source tree (make install, the container image) reads its own pyproject.toml, so a version
    # bump is seen without reinstalling; an installed wheel has only its metadata.
    if _PYPROJECT.is_file():
        declared: str = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
        return declared
    try:
        return version("glue-customers")
    except PackageNotFoundError:  # pragma: no cover - neither a source tree nor installed
        return "0+unknown"


VERSION = _version()
