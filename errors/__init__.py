"""The error catalogue and the exceptions that carry its entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from errors import catalogue
from errors.catalogue import CATALOGUE, CatalogueEntry

__all__ = ["ApiError", "Problem", "CatalogueEntry", "CATALOGUE", "catalogue"]


@dataclass(frozen=True)
class Problem:
    """One catalogued error: the entry, the attribute at fault (if any), the detail's parameters and
    the query parameter at fault (if any: ``source.parameter``)."""

    entry: CatalogueEntry
    attribute: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    parameter: str | None = None

    @property
    def detail(self) -> str:
        return self.entry.detail.format(**self.params) if self.params else self.entry.detail


class ApiError(Exception):
    """Raised anywhere (service, edge, middleware); rendered once as a JSON:API error document."""

    def __init__(
        self,
        entry: CatalogueEntry,
        *,
        attribute: str | None = None,
        headers: dict[str, str] | None = None,
        parameter: str | None = None,
        **params: Any,
    ) -> None:
        self.problems: tuple[Problem, ...] = (Problem(entry, attribute, params, parameter),)
        self.headers = headers or {}
        super().__init__(entry.code)

    @classmethod
    def of(cls, problems: list[Problem]) -> ApiError:
        """Several errors at once (all validation failures of a request); they share one status."""
        error = cls(problems[0].entry)
        error.problems = tuple(problems)
        return error

    @property
    def status(self) -> int:
        return self.problems[0].entry.status

    @classmethod
    def invalid(cls, attribute: str, message: str) -> ApiError:
        """A single attribute validation failure (code 901)."""
        return cls(catalogue.VALIDATION_FAILED, attribute=attribute, field=attribute, message=message)

    @classmethod
    def query(cls, parameter: str) -> ApiError:
        """An invalid query parameter (011), naming it in ``source.parameter``."""
        return cls(catalogue.INVALID_QUERY_PARAMETER, parameter=parameter)
