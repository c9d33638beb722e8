from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from catalog.models import MAX_INT, Product
from store_project.db.counts import CountedQuerySet
from store_project.db.updates import LoadedValues

__all__ = ["MAX_INT", "Location", "StockLevel", "StockMovement", "Transfer"]


class LocationKind(models.TextChoices):
    STORE = "store", "Store"
    WAREHOUSE = "warehouse", "Warehouse"


class Location(LoadedValues, models.Model):
    """A store or a warehouse: where stock is, and where orders take it from."""

    Kind = LocationKind

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9-]+$", "Use 1-20 characters of A-Z, 0-9 and '-'.")
        ],
        help_text="Stored upper-cased: 'main' is 'MAIN'.",
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=20, choices=LocationKind.choices, default=LocationKind.STORE
    )
    address = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, db_index=True)
    # Moved only by inventory.services, which clears the old default first.
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="inventory_location_one_default",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9-]{1,20}$"),
                name="inventory_location_code_format",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LocationKind.values),
                name="inventory_location_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(is_active=True),
                name="inventory_location_default_is_active",
            ),
        ]
        permissions = [
            (
                "access_all_locations",
                "Can see and act at every location, whatever the employee's",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class StockLevel(LoadedValues, models.Model):
    """What one location holds of one product: the one source of stock."""

    # Each indexed by an index below that it leads: the unique (product,
    # location) and (location, product). Every stock change writes into all
    # of the table's indexes (on_hand is indexed, so no update is HOT).
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stock_levels", db_index=False
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock_levels", db_index=False
    )
    # Changed only by inventory.services.stock_apply, which writes the ledger too.
    on_hand = models.IntegerField(default=0)
    reorder_level = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "location_id"]
        constraints = [
            # Also the index the stock service locks through, in this order.
            models.UniqueConstraint(
                fields=["product", "location"],
                name="inventory_stocklevel_product_location_unique",
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0),
                name="inventory_stocklevel_on_hand_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(reorder_level__gte=0),
                name="inventory_stocklevel_reorder_level_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "product"]),
            models.Index(
                F("on_hand") - F("reorder_level"),
                name="inventory_stocklevel_low",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} at {self.location.code}: {self.on_hand}"

    @property
    def is_low_stock(self) -> bool:
        return self.on_hand <= self.reorder_level


class MovementReason(models.TextChoices):
    INITIAL = "initial", "Opening stock"
    RESTOCK = "restock", "Restock"
    CORRECTION = "correction", "Correction"
    DAMAGE = "damage", "Damage"
    RETURN = "return", "Return"
    SALE = "sale", "Sale (order confirmed)"
    CANCELLATION = "cancellation", "Cancellation (confirmed order cancelled)"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    PURCHASE = "purchase", "Purchase"


class TransferStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_TRANSIT = "in_transit", "In transit"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


class Transfer(LoadedValues, models.Model):
    """Stock sent from one location to another."""

    Status = TransferStatus

    from_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_in"
    )
    # Moved only by inventory.services.transfer_transition.
    status = models.CharField(
        max_length=20, choices=TransferStatus.choices, default=TransferStatus.DRAFT
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")),
                name="inventory_transfer_locations_differ",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values),
                name="inventory_transfer_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(received_at__isnull=True) | Q(status="received"),
                name="inventory_transfer_received_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(status="cancelled"),
                name="inventory_transfer_cancelled_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "cancelled"])
                | Q(shipped_at__isnull=False),
                name="inventory_transfer_shipped_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]
        permissions = [
            ("ship_transfer", "Can ship a transfer"),
            ("receive_transfer", "Can receive a transfer"),
            ("cancel_transfer", "Can cancel a transfer"),
        ]

    def __str__(self) -> str:
        return f"Transfer #{self.pk} ({self.get_status_display()})"


class TransferLine(models.Model):
    # Indexed by the unique (transfer, product) below, which serves it alone.
    transfer = models.ForeignKey(
        Transfer, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="transfer_lines"
    )
    quantity = models.IntegerField()
    received_quantity = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "product"], name="inventory_transferline_once"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="inventory_transferline_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__gte=0, received_quantity__lte=F("quantity")),
                name="inventory_transferline_received_within_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"


class StockMovement(models.Model):
    """One change of one product's stock at one location; stock is their sum."""

    Reason = MovementReason

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="movements"
    )
    # Indexed by (location, product) below, which serves a location alone too.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    quantity = models.IntegerField(help_text="Signed change of stock.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # The order, purchase order or return a movement belongs to. Plain ids,
    # not foreign keys: inventory knows nothing of the apps that depend on it.
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # These three are indexed where set only (below): most movements are
    # sales, and an insert then writes into none of them.
    purchase_order_id = models.BigIntegerField(null=True, blank=True)
    return_id = models.BigIntegerField(null=True, blank=True)
    transfer = models.ForeignKey(
        Transfer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        db_index=False,
    )
    unit_cost = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True
    )
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Kept while their history is: a null here would rewrite it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # count() of the whole ledger reads a trigger-kept counter, not COUNT(*).
    objects = CountedQuerySet.as_manager()

    class Meta:
        # The ledger moved here from the catalog; its table (and the names of
        # its constraints, its row-count triggers) stayed as they were.
        db_table = "catalog_stockmovement"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0), name="catalog_stockmovement_quantity_not_zero"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=MovementReason.values),
                name="catalog_stockmovement_reason_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "product"]),
            # A plain index: db_index=True would add a LIKE (pattern) index too.
            models.Index(fields=["reason"], name="catalog_movement_reason"),
            *(
                models.Index(
                    fields=[field],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"catalog_movement_{name}",
                )
                for field, name in [
                    ("purchase_order_id", "purchase"),
                    ("return_id", "return"),
                    ("transfer", "transfer"),
                ]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity:+d} {self.product} ({self.reason})"
