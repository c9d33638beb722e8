from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from store_project.db.counts import CountedQuerySet
from store_project.db.updates import LoadedValues

# The largest value an IntegerField holds on every supported database.
MAX_INT = 2_147_483_647


class Category(LoadedValues, models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="catalog_category_name_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(LoadedValues, models.Model):
    # NULL, not "", when absent: the unique index must ignore products without one.
    sku = models.CharField("SKU", max_length=64, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(max_length=150, db_index=True)
    description = models.TextField(blank=True)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, db_index=True)
    # Changed only by catalog.services.stock_apply, which writes the ledger too.
    stock = models.IntegerField(default=0, db_index=True)
    reorder_level = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # count() of all products reads a trigger-kept counter, not COUNT(*).
    objects = CountedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("sku"),
                condition=Q(sku__isnull=False),
                name="catalog_product_sku_ci_unique",
            ),
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="catalog_product_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="catalog_product_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(reorder_level__gte=0),
                name="catalog_product_reorder_level_not_negative",
            ),
        ]
        indexes = [
            # The low-stock filter compares two columns of one row.
            models.Index(
                F("stock") - F("reorder_level"), name="catalog_product_low_stock"
            ),
        ]
        permissions = [("adjust_stock", "Can adjust product stock")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name

    @property
    def is_low_stock(self) -> bool:
        return self.stock <= self.reorder_level


class MovementReason(models.TextChoices):
    INITIAL = "initial", "Opening stock"
    RESTOCK = "restock", "Restock"
    CORRECTION = "correction", "Correction"
    DAMAGE = "damage", "Damage"
    RETURN = "return", "Return"
    SALE = "sale", "Sale (order confirmed)"
    CANCELLATION = "cancellation", "Cancellation (confirmed order cancelled)"


class StockMovement(models.Model):
    """One change of one product's stock; a product's stock is their sum."""

    Reason = MovementReason

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="movements"
    )
    quantity = models.IntegerField(help_text="Signed change of stock.")
    reason = models.CharField(max_length=20, choices=Reason.choices, db_index=True)
    # The order a sale or cancellation belongs to. A plain id, not a foreign
    # key: the catalog knows nothing of the sales app that depends on it.
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
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

    def __str__(self) -> str:
        return f"{self.quantity:+d} {self.product} ({self.reason})"
