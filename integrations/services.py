"""Webhook subscriptions and redelivery: every write of the API and the admin."""

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef
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


@transaction.atomic
def events_purge(*, before) -> int:
    """Delete events older than ``before`` with no delivery still pending."""
    pending = Delivery.objects.filter(
        event_id=OuterRef("pk"), status=DeliveryStatus.PENDING
    )
    old = Event.objects.filter(created_at__lt=before).filter(~Exists(pending))
    _, by_model = old.delete()
    return by_model.get(Event._meta.label, 0)
