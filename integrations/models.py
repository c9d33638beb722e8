"""Webhook subscriptions, the outbox of events, and one delivery per webhook."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

MAX_ATTEMPTS = 8


class EventType(models.TextChoices):
    """Every event of the contract; a webhook may subscribe to any of them."""

    ORDER_CONFIRMED = "order.confirmed"
    ORDER_SHIPPED = "order.shipped"
    ORDER_DELIVERED = "order.delivered"
    ORDER_CANCELLED = "order.cancelled"
    RETURN_CREATED = "return.created"
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"
    TRANSFER_RECEIVED = "transfer.received"
    STOCK_LOW = "stock.low"
    PRODUCT_PRICE_CHANGED = "product.price_changed"


class Webhook(models.Model):
    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices))
    # Kept in clear: the worker signs with it. Shown once, when generated.
    secret = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(events__len__gte=1)
                & Q(events__contained_by=EventType.values),
                name="integrations_webhook_events_known",
            ),
            models.CheckConstraint(
                condition=Q(secret__regex=r"^.{16,}$"),
                name="integrations_webhook_secret_long_enough",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """One thing that happened, written in the transaction that made it happen."""

    type = models.CharField(max_length=40, choices=EventType.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    # The object as the API showed it, as JSON text: jsonb would reorder the
    # keys, and the worker sends these bytes as they are.
    data = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        # For the purge's "older than": rows come in created_at order, so a
        # BRIN index serves it at a fraction of a B-tree's cost per insert
        # (one insert per confirmation while a webhook subscribes).
        indexes = [BrinIndex(fields=["created_at"], name="integrations_event_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=EventType.values), name="integrations_event_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} ({self.object_type} {self.object_id})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """An event on its way to one webhook: attempted until a 2xx or 8 failures."""

    Status = DeliveryStatus

    # Indexed by the unique (webhook, event) below, which serves a webhook alone.
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The event's object ("order:17"), copied here so that the worker's
    # per-object ordering is one index lookup.
    object_key = models.CharField(max_length=80)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The start of the receiver's answer only: it is not ours to keep.
    last_response = models.CharField(max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        permissions = [("redeliver_delivery", "Can queue a delivery again")]
        constraints = [
            # Also the delivery log's index: a webhook's deliveries, newest
            # event first.
            models.UniqueConstraint(
                fields=["webhook", "event"], name="integrations_delivery_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="integrations_delivery_status",
            ),
            models.CheckConstraint(
                condition=Q(attempts__lte=MAX_ATTEMPTS),
                name="integrations_delivery_attempts_bounded",
            ),
            # Only a pending delivery is due at some time.
            models.CheckConstraint(
                condition=Q(
                    status=DeliveryStatus.PENDING, next_attempt_at__isnull=False
                )
                | (~Q(status=DeliveryStatus.PENDING) & Q(next_attempt_at__isnull=True)),
                name="integrations_delivery_due_when_pending",
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.DELIVERED, delivered_at__isnull=False)
                | (~Q(status=DeliveryStatus.DELIVERED) & Q(delivered_at__isnull=True)),
                name="integrations_delivery_stamped_when_delivered",
            ),
        ]
        indexes = [
            # The worker's claim: what is due, soonest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status=DeliveryStatus.PENDING),
                name="integrations_delivery_due",
            ),
            # The worker's order check: an earlier pending event of the object.
            models.Index(
                fields=["webhook", "object_key", "event"],
                condition=Q(status=DeliveryStatus.PENDING),
                name="integrations_delivery_object",
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} (event #{self.event_id})"
