"""OpenAPI generation: drf-standardized-errors' schema plus our extra statuses.

409 (a business rule refused), 422 (an idempotency key reused with another
body) and 503 (no database) are documented where they can happen. A view
names its refusable actions in ``conflict_actions`` and its retry-safe ones
in ``idempotent_actions``; deletes can always be refused while referenced.
"""

from drf_standardized_errors.openapi import AutoSchema as ErrorsAutoSchema
from rest_framework import serializers


class _ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


def _error_response(name: str, error_type: str, doc: str) -> type:
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=[error_type]),
            "errors": _ErrorSerializer(many=True),
        },
    )


ErrorResponse409Serializer = _error_response(
    "ErrorResponse409",
    "client_error",
    "A business rule refused the change; nothing was written.",
)
ErrorResponse422Serializer = _error_response(
    "ErrorResponse422",
    "client_error",
    "The Idempotency-Key was already used with a different request.",
)
ErrorResponse503Serializer = _error_response(
    "ErrorResponse503", "server_error", "The database is unavailable; retry later."
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
            return status_code not in responses and action in getattr(
                self.view, "idempotent_actions", ()
            )
        return super()._should_add_error_response(responses, status_code)
