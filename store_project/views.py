"""Project-level views: JSON error pages, health checks and gated API docs."""

import functools
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import APIException
from rest_framework.request import Request

logger = logging.getLogger(__name__)


def error_response(
    status: int, error_type: str, code: str, detail: str, attr: str | None = None
) -> JsonResponse:
    """A response in the contract's error shape, for errors outside DRF."""
    return JsonResponse(
        {
            "type": error_type,
            "errors": [{"code": code, "detail": detail, "attr": attr}],
        },
        status=status,
    )


# Also the catch-all of unknown /api/ paths: a PUT or DELETE there must get the
# JSON 404, not the CSRF middleware's HTML 403.
@csrf_exempt
def not_found(request, exception=None):
    return error_response(404, "client_error", "not_found", "Not found.")


def bad_request(request, exception=None):
    return error_response(400, "client_error", "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return error_response(
        403,
        "client_error",
        "permission_denied",
        "You do not have permission to perform this action.",
    )


def server_error(request):
    return error_response(500, "server_error", "error", "Server Error (500)")


# --- Health -----------------------------------------------------------------


def _health_body(status: str) -> dict:
    return {
        "status": status,
        "environment": settings.DJANGO_ENV,
        "version": settings.APP_VERSION,
    }


def health(request):
    """Liveness: the process answers. Touches no database."""
    return JsonResponse(_health_body("ok"))


def health_db(request):
    """Readiness: one real query, 503 when the database cannot answer it."""
    body = _health_body("ok")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure to reach the database means "not ready"
        if not isinstance(exc, DatabaseError):
            logger.exception("Unexpected error in the database health check")
        else:
            logger.warning("Database health check failed: %s", exc)
        # Drop the broken connection so the next request reconnects.
        connection.close_if_unusable_or_obsolete()
        body.update(status="unavailable", database="unreachable")
        return JsonResponse(body, status=503)
    body["database"] = "postgresql"
    return JsonResponse(body)


# --- API documentation ------------------------------------------------------------


def _is_staff(request) -> bool:
    if request.user.is_authenticated:
        return request.user.is_staff
    try:
        result = TokenAuthentication().authenticate(Request(request))
    except APIException:
        return False
    return bool(result and result[0].is_staff)


def docs_gate(view):
    """Hide the docs (404) when disabled; with DOCS_STAFF_ONLY, from non-staff."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DOCS_ENABLED:
            return not_found(request)
        if getattr(settings, "DOCS_STAFF_ONLY", False) and not _is_staff(request):
            return not_found(request)
        return view(request, *args, **kwargs)

    return wrapped


# The docs pages may load only from the store. Swagger UI and ReDoc are served
# from its static files; this also stops what they would fetch on their own,
# such as the Redocly logo in ReDoc's sidebar, which no ReDoc setting removes.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",  # both UIs set inline styles
        "worker-src 'self' blob:",  # ReDoc's search runs in a blob worker
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)


def docs_content_security_policy(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response

    return wrapped


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = []


schema_view = docs_gate(SchemaView.as_view())
# The split view serves Swagger UI's start-up script from its own URL, so the
# policy needs no inline scripts.
swagger_view = docs_gate(
    docs_content_security_policy(
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", authentication_classes=[], permission_classes=[]
        )
    )
)
# The project's template drops the Google Fonts links of drf-spectacular's.
redoc_view = docs_gate(
    docs_content_security_policy(
        SpectacularRedocView.as_view(
            url_name="schema",
            template_name="docs/redoc.html",
            authentication_classes=[],
            permission_classes=[],
        )
    )
)
