"""The one base class of every domain error, and the generic ones."""

from __future__ import annotations

from collections.abc import Iterable


class ApplicationError(Exception):
    """A business rule refused the change; the API answers ``status_code``.

    ``errors`` holds ``(code, message)`` pairs so that one refusal can name
    every failing item at once (each becomes one entry of the error body).
    """

    status_code = 409
    default_code = "conflict"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: Iterable[tuple[str, str]] | None = None,
    ):
        self.code = code or self.default_code
        self.errors = list(errors) if errors else [(self.code, message or "")]
        super().__init__(message or "; ".join(m for _, m in self.errors))


class ProtectedObjectError(ApplicationError):
    """Deleting an object that other records still refer to."""

    default_code = "protected"
