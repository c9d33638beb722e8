from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key`` header.

    A retry with the same key (same user) and the same request answers this
    response again instead of doing the work twice; see
    ``store_project.api.idempotency``.
    """

    # Indexed by the unique (user, key) below, which serves a user alone.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
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


class RowCount(models.Model):
    """Part of the exact row count of a table, kept by database triggers.

    A counted table's count is the sum of its rows here. Each writing
    statement adds its change to one of the table's rows that no other open
    transaction holds (``FOR UPDATE SKIP LOCKED``), or adds a row when all are
    held: writers never wait on one another for the count, so it adds no lock
    wait and no deadlock to theirs. A table has about as many rows as it ever
    had concurrent writers. See ``store_project.db.CountedQuerySet``.
    """

    table_name = models.CharField(max_length=63, db_index=True)
    rows = models.BigIntegerField()

    class Meta:
        ordering = ["table_name", "id"]

    def __str__(self) -> str:
        return f"{self.table_name}: {self.rows}"
