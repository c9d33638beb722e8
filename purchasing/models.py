from django.conf import settings
from django.db import models
from django.db.models import F, Q

from catalog.models import MAX_INT, Product, Supplier
from inventory.models import Location
from store_project.db.updates import LoadedValues

__all__ = ["MAX_INT", "PurchaseOrder", "PurchaseOrderLine"]


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ORDERED = "ordered", "Ordered"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# What a line awaits while its purchase order is in one of these.
AWAITING = (
    PurchaseOrderStatus.DRAFT,
    PurchaseOrderStatus.ORDERED,
    PurchaseOrderStatus.PARTIALLY_RECEIVED,
)


class PurchaseOrder(LoadedValues, models.Model):
    """Goods ordered from one supplier, to be received at one location."""

    Status = PurchaseOrderStatus

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    # Indexed by (location, status) below, which serves a location alone.
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        db_index=False,
    )
    # Moved only by purchasing.services.purchase_order_transition.
    status = models.CharField(
        max_length=20,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.DRAFT,
    )
    notes = models.TextField(blank=True)
    expected_at = models.DateTimeField(
        null=True, blank=True, help_text="When the goods are expected."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PurchaseOrderStatus.values),
                name="purchasing_purchaseorder_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", ordered_at__isnull=True)
                | Q(status="cancelled")
                | Q(ordered_at__isnull=False),
                name="purchasing_purchaseorder_ordered_at_matches_status",
            ),
            # Stamped when the last line is in, and only then.
            models.CheckConstraint(
                condition=Q(status="received", received_at__isnull=False)
                | (~Q(status="received") & Q(received_at__isnull=True)),
                name="purchasing_purchaseorder_received_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status="closed"),
                name="purchasing_purchaseorder_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(status="cancelled"),
                name="purchasing_purchaseorder_cancelled_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["location", "status"]),
        ]
        permissions = [
            ("order_purchaseorder", "Can send a purchase order to its supplier"),
            ("receive_purchaseorder", "Can receive the goods of a purchase order"),
            ("close_purchaseorder", "Can close a partially received purchase order"),
            ("cancel_purchaseorder", "Can cancel a purchase order"),
        ]

    def __str__(self) -> str:
        return f"Purchase order #{self.pk} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == PurchaseOrderStatus.DRAFT


class PurchaseOrderLine(models.Model):
    # Each indexed by an index below that it leads: the unique (purchase
    # order, product) and (product, purchase order).
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="purchase_lines", db_index=False
    )
    quantity = models.IntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4)
    # Written only by the receipts, under the purchase order's row lock.
    received_quantity = models.IntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order", "product"],
                name="purchasing_purchaseorderline_once",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="purchasing_purchaseorderline_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gt=0),
                name="purchasing_purchaseorderline_unit_cost_positive",
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0)
                & Q(received_quantity__lte=F("quantity")),
                name="purchasing_purchaseorderline_received_within_ordered",
            ),
        ]
        indexes = [models.Index(fields=["product", "purchase_order"])]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product} at {self.unit_cost}"

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received_quantity
