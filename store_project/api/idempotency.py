"""Safe retries: the ``Idempotency-Key`` header on writes that must not repeat.

The first request with a key runs inside a transaction that holds the key's
row until its answer is stored, so a concurrent retry waits on the row and
then answers the stored response. The key belongs to a user; a retry must
carry the same method, path and JSON body, else 422. Keys live 24 hours.
Server errors (5xx) are not stored: the retry runs again.
"""

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from store_project.models import IdempotencyKey

HEADER = "Idempotency-Key"
# Read from the WSGI environ: request.headers builds a dict of every header.
_META_KEY = "HTTP_IDEMPOTENCY_KEY"
LIFETIME = timedelta(hours=24)
KEY_PATTERN = r"^[\x20-\x7e]+$"  # printable ASCII; 1 to 255 of them
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


class KeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was already used with a different request; "
        "use a new key for a new request."
    )


def _as_text(value) -> str:
    """A value JSON lacks: an uploaded file counts by its content."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file sha256:{digest.hexdigest()}"
    return str(value)


def fingerprint(request) -> str:
    body = json.dumps(
        request.data, sort_keys=True, separators=(",", ":"), default=_as_text
    )
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotent(handler):
    """Make a DRF view handler (``create``, an action) safe to retry."""

    @functools.wraps(handler)
    def wrapped(view, request, *args, **kwargs):
        key = request.META.get(_META_KEY)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise exceptions.ValidationError(
                {HEADER: ["Must be 1 to 255 printable ASCII characters."]}
            )
        with transaction.atomic():
            record = _claim(request, key)
            if record.status_code:
                if record.fingerprint != fingerprint(request):
                    raise KeyReused()
                return Response(record.response_body, status=record.status_code)
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # answered like any error, then stored
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # forget the key: retry may work
                return response
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
            return response

    wrapped.idempotent = True
    return wrapped


def is_idempotent(view) -> bool:
    """Whether the view's current action accepts an ``Idempotency-Key``."""
    handler = getattr(view, getattr(view, "action", None) or "", None)
    return getattr(handler, "idempotent", False)


def _claim(request, key: str) -> IdempotencyKey:
    """Lock the key's row, creating it (unanswered) if it is new or expired.

    Creating conflicts with a concurrent first request block on its
    uncommitted row until it commits; the retry then finds the answer.
    """
    user = request.user
    queryset = IdempotencyKey.objects.select_for_update()
    record = queryset.filter(user=user, key=key).first()
    if record is not None and record.created_at < timezone.now() - LIFETIME:
        record.delete()
        record = None
    if record is not None:
        return record
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint(request), status_code=0
            )
    except IntegrityError:
        return queryset.get(user=user, key=key)
