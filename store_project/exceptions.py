"""The one base class of every domain error, and the generic ones."""

from __future__ import annotations

from collections.abc import Iterable


class ApplicationError(Exception):
    """A business rule refused the change; the API answers ``status_code``.

    ``errors`` holds ``(code, message)`` pairs so that one refusal can name
    every failing item at once (each becomes one entry of the error body).
    ``field`` names the input field at fault, when there is one.
    """

    status_code = 409
    default_code = "conflict"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: Iterable[tuple[str, str]] | None = None,
        field: str | None = None,
    ):
        self.code = code or self.default_code
        self.errors = list(errors) if errors else [(self.code, message or "")]
        self.field = field
        super().__init__(message or "; ".join(m for _, m in self.errors))


class InvalidInput(ApplicationError):
    """Input that only the database could judge (a duplicate, an overflow)."""

    status_code = 400
    default_code = "invalid"


class RowsRefused(InvalidInput):
    """Input of many rows (an imported file), refused for every problem at once.

    ``problems`` holds ``(attr, code, message)`` triples; each becomes one
    entry of the error body on its own ``attr`` (``"row 3: unit_price"``).
    """

    def __init__(self, problems: Iterable[tuple[str, str, str]]):
        self.problems = list(problems)
        super().__init__(
            errors=[(code, message) for _attr, code, message in self.problems]
        )

    def by_attr(self) -> dict[str, list[tuple[str, str]]]:
        grouped: dict[str, list[tuple[str, str]]] = {}
        for attr, code, message in self.problems:
            grouped.setdefault(attr, []).append((code, message))
        return grouped


class ProtectedObjectError(ApplicationError):
    """Deleting an object that other records still refer to."""

    default_code = "protected"


class LockTimeout(ApplicationError):
    """Another request held the rows too long; the client may retry."""

    status_code = 503
    default_code = "lock_timeout"
