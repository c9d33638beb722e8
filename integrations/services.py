"""Webhook subscriptions and redelivery: every write of the API and the admin."""

import secrets
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from audit import services as audit
from store_project.db.errors import row_lock_timeout
from store_project.db.updates import model_update
from store_project.exceptions import InvalidInput

from .models import Delivery, DeliveryStatus, Event, EventType, Webhook
from .safety import PrivateAddress, check_url

WEBHOOK_EDITABLE_FIELDS = ("url", "events", "secret", "is_active")
# The audit log says the secret changed, never what it is.
_SECRET = ("secret",)


def secret_generate() -> str:
    return secrets.token_urlsafe(32)


def _checked(changes: dict) -> dict:
    if "url" in changes:
        try:
            check_url(changes["url"])
        except PrivateAddress as refusal:
            raise InvalidInput(str(refusal), code="private_url", field="url") from None
    if "events" in changes:
        events = list(dict.fromkeys(changes["events"]))  # once each, in order
        unknown = sorted(set(events) - set(EventType.values))
        if unknown:
            raise InvalidInput(f"Unknown events: {unknown}.", field="events")
        if not events:
            raise InvalidInput("Subscribe to at least one event.", field="events")
        changes["events"] = events
    return changes


def webhook_create(
    *,
    url: str,
    events: Iterable[str],
    secret: str | None = None,
    is_active: bool = True,
) -> Webhook:
    """Subscribe ``url`` to ``events``; the secret is generated when not given."""
    data = _checked({"url": url, "events": list(events)})
    with transaction.atomic():
        webhook = Webhook.objects.create(
            **data, secret=secret or secret_generate(), is_active=is_active
        )
        audit.record_create(webhook, WEBHOOK_EDITABLE_FIELDS, personal=_SECRET)
    return webhook


@transaction.atomic
def webhook_update(*, webhook: Webhook, **changes) -> Webhook:
    if changes.get("secret") is None:
        changes.pop("secret", None)  # keep the secret unless a new one is given
    changed = model_update(
        instance=webhook, fields=WEBHOOK_EDITABLE_FIELDS, data=_checked(changes)
    )
    audit.record_update(webhook, changed, personal=_SECRET)
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    """Delete a webhook with its deliveries (waits for a worker sending one)."""
    audit.record_delete(webhook, WEBHOOK_EDITABLE_FIELDS, personal=_SECRET)
    with row_lock_timeout(f"A delivery of webhook #{webhook.pk}"):
        webhook.delete()


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Queue a delivery again, now, with a new budget of attempts.

    Waits for a worker that is sending it (its row lock); the worker's
    result is then replaced by the new attempt.
    """
    with row_lock_timeout(f"Delivery #{delivery.pk}"):
        delivery = (
            Delivery.objects.select_related("webhook")
            .select_for_update(no_key=True, of=("self",))
            .get(pk=delivery.pk)
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.delivered_at = None
    delivery.save(
        update_fields=["status", "attempts", "next_attempt_at", "delivered_at"]
    )
    # A state action on the webhook: which of its deliveries was queued again.
    audit.record(
        action="redeliver",
        instance=delivery.webhook,
        changes={"delivery": (None, delivery.pk)},
    )
    return delivery


# A batch of old events and their deliveries, in one statement. The ORM's
# ``Event.objects.filter(...).delete()`` loads every row it cascades to
# into memory first: a first purge of months of events would not fit.
_PURGE = f"""
    WITH old AS (
        SELECT e.id FROM {Event._meta.db_table} e
        WHERE e.created_at < %(before)s AND NOT EXISTS (
            SELECT 1 FROM {Delivery._meta.db_table} d
            WHERE d.event_id = e.id AND d.status = %(pending)s
        )
        ORDER BY e.id
        LIMIT %(limit)s
    ), deliveries AS (
        DELETE FROM {Delivery._meta.db_table} d USING old WHERE d.event_id = old.id
    )
    DELETE FROM {Event._meta.db_table} e USING old WHERE e.id = old.id
"""
PURGE_BATCH = 5000
# Only one worker purges at a time (a transaction-level advisory lock).
_PURGE_LOCK = 0x57E800C  # any constant of this app's own


def events_purge(*, before, batch: int = PURGE_BATCH) -> int:
    """Delete events older than ``before`` with no delivery still pending.

    In batches, each its own transaction, so a large backlog never holds
    many rows locked at once. Answers how many events were deleted (0 when
    another process is purging).
    """
    purged = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_PURGE_LOCK])
            if not cursor.fetchone()[0]:
                return purged
            cursor.execute(
                _PURGE,
                {"before": before, "pending": DeliveryStatus.PENDING, "limit": batch},
            )
            deleted = cursor.rowcount
        purged += deleted
        if deleted < batch:
            return purged
