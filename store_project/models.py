from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key`` header.

    A retry with the same key (same user) and the same request answers this
    response again instead of doing the work twice; see
    ``store_project.api.idempotency``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and JSON body."
    )
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="store_project_idempotency_key_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
