"""Maps every exception to the contract's single JSON error shape."""

from django.db import DatabaseError, InterfaceError, OperationalError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from store_project.db.errors import is_history_rewrite, is_lock_timeout
from store_project.exceptions import ApplicationError, LockTimeout, RowsRefused

try:  # the pool is optional; its timeout means "no database right now"
    from psycopg_pool import PoolTimeout
except ImportError:  # pragma: no cover
    PoolTimeout = OperationalError


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The change conflicts with the current state."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The database is unavailable; try again shortly."
    default_code = "service_unavailable"


def application_error_to_api_exception(
    exc: ApplicationError,
) -> exceptions.APIException:
    if isinstance(exc, RowsRefused):
        return exceptions.ValidationError(
            {
                attr: [ErrorDetail(message, code=code) for code, message in errors]
                for attr, errors in exc.by_attr().items()
            }
        )
    details = [ErrorDetail(message, code=code) for code, message in exc.errors]
    if exc.status_code == 400:
        return exceptions.ValidationError(
            {exc.field: details} if exc.field else details
        )
    api_exc = Conflict()
    api_exc.status_code = exc.status_code
    api_exc.detail = {exc.field: details} if exc.field else details
    return api_exc


class StoreExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, ApplicationError):
            return application_error_to_api_exception(exc)
        if is_lock_timeout(exc):  # a lock waited for too long, anywhere
            return application_error_to_api_exception(
                LockTimeout(
                    "Another request is changing the same records; try again shortly."
                )
            )
        if is_history_rewrite(exc):  # a bug, but the answer must still be clear
            return application_error_to_api_exception(
                ApplicationError(
                    "This history is append-only: it cannot be changed or deleted.",
                    code="append_only",
                )
            )
        if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
            return ServiceUnavailable()
        if isinstance(exc, DatabaseError) and _is_connection_error(exc):
            return ServiceUnavailable()
        return super().convert_known_exceptions(exc)


def _is_connection_error(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    return cause is not None and type(cause).__name__ in {
        "OperationalError",
        "InterfaceError",
    }
