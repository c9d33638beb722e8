"""OpenAPI generation: drf-standardized-errors' schema plus our extra statuses.

409 (a business rule refused), 422 (an idempotency key reused with another
body) and 503 (no database) are documented where they can happen. A view
names its refusable actions in ``conflict_actions``; deletes can always be
refused while referenced. Handlers wrapped in ``@idempotent`` get the
``Idempotency-Key`` header and their 422.
"""

from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as ErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ServerErrorEnum,
    ValidationErrorEnum,
)
from rest_framework import serializers

from .idempotency import HEADER, KEY_PATTERN, LIFETIME, is_idempotent

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "1-255 printable ASCII characters (else 400). A retry with the same "
        "key and the same request within "
        f"{LIFETIME.total_seconds() / 3600:.0f} hours answers the first "
        "response again without doing the work twice; the same key with a "
        "different request answers 422."
    ),
)


class _ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


def _error_response(name: str, error_type: type, doc: str) -> type:
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=error_type.choices),
            "errors": _ErrorSerializer(many=True),
        },
    )


ErrorResponse409Serializer = _error_response(
    "ErrorResponse409",
    ClientErrorEnum,
    "A business rule refused the change; nothing was written.",
)
ErrorResponse422Serializer = _error_response(
    "ErrorResponse422",
    ClientErrorEnum,
    "The Idempotency-Key was already used with a different request.",
)
# The problems of an imported file are on its rows and columns, so their
# ``attr`` is free text ("row 3: unit_price", or "file"), not a field's name.
ErrorResponse400ImportSerializer = _error_response(
    "ErrorResponse400Import",
    ValidationErrorEnum,
    'Every problem of the file, each with `attr` `"row N: column"` (N counts '
    'data rows from 1), `"row N"` or `"file"`; nothing was written.',
)
ErrorResponse503Serializer = _error_response(
    "ErrorResponse503", ServerErrorEnum, "The database is unavailable; retry later."
)


class AutoSchema(ErrorsAutoSchema):
    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        action = getattr(self.view, "action", None)
        if status_code == "409":
            return status_code not in responses and (
                self.method == "DELETE"
                or action in getattr(self.view, "conflict_actions", ())
            )
        if status_code == "422":
            return status_code not in responses and is_idempotent(self.view)
        return super()._should_add_error_response(responses, status_code)

    def _get_extra_validation_errors(self):
        errors = super()._get_extra_validation_errors()
        if is_idempotent(self.view):
            errors[HEADER] = {"invalid"}
        return errors

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if is_idempotent(self.view):
            parameters = [*parameters, IDEMPOTENCY_PARAMETER]
        return parameters


def doc_excludes() -> list[type]:
    """Classes whose docstrings are not API documentation.

    drf-spectacular describes an operation with the first docstring along
    its view's bases short of these; ``ServiceModelViewSet``'s is written
    for the store's developers, not for its API's readers.
    """
    from drf_spectacular.plumbing import get_lib_doc_excludes

    from .viewsets import ServiceModelViewSet

    return [*get_lib_doc_excludes(), ServiceModelViewSet]
