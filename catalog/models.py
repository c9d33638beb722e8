from decimal import Decimal

from django.db import models
from django.db.models import Q
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


class TaxClass(LoadedValues, models.Model):
    """A set of sales-tax rates that products share (Quebec: GST and QST).

    Exactly one class is the default, used by products without a class; the
    services keep one, the partial unique index forbids a second.
    """

    name = models.CharField(max_length=50)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "tax classes"
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="catalog_taxclass_name_ci_unique"
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="catalog_taxclass_one_default",
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="catalog_taxclass_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# A class has at most this many rates: each rate has its place, 1 to 5.
MAX_TAX_RATES = 5


class TaxRate(models.Model):
    """One rate of a class, a fraction in [0, 1) with 5 places (0.09975)."""

    # Indexed by the unique (tax_class, position) below, which serves it alone.
    tax_class = models.ForeignKey(
        TaxClass, on_delete=models.CASCADE, related_name="rates", db_index=False
    )
    # The rate's place in its class; numbered 1 to MAX_TAX_RATES, so the
    # database itself holds a class to that many rates.
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=50)
    rate = models.DecimalField(max_digits=6, decimal_places=5)

    class Meta:
        ordering = ["tax_class", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_class", "position"], name="catalog_taxrate_position_once"
            ),
            models.UniqueConstraint(
                "tax_class", Lower("name"), name="catalog_taxrate_name_ci_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_TAX_RATES),
                name="catalog_taxrate_at_most_five",
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lt=1), name="catalog_taxrate_rate_range"
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="catalog_taxrate_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.rate}"


# A supplier's lead time is at most a year.
MAX_LEAD_TIME_DAYS = 365


class Supplier(LoadedValues, models.Model):
    """Who the shop buys from: master data shared by every location, like
    categories, so that a product names its preferred supplier without the
    catalog depending on purchasing."""

    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address = models.TextField(blank=True)
    lead_time_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days from ordering to delivery, 0 to 365."
    )
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="catalog_supplier_name_ci_unique"
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="catalog_supplier_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(
                    lead_time_days__gte=0, lead_time_days__lte=MAX_LEAD_TIME_DAYS
                ),
                name="catalog_supplier_lead_time_range",
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
    # The level the product's total stock (inventory's stock levels) is low at.
    reorder_level = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products"
    )
    # None: the default class. Order lines copy the rates when written.
    tax_class = models.ForeignKey(
        TaxClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        help_text="Empty: the default tax class.",
    )
    # The preferred supplier; a supplier deleted (one never bought from)
    # leaves its products without one.
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
    )
    # The moving average cost of a unit, written only by the receipts of
    # purchase orders (purchasing.services), under the product's row lock.
    # The database default too: bulk writers (the demo's COPY) leave it out.
    average_cost = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        default=Decimal("0.0000"),
        db_default=Decimal("0.0000"),
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
                condition=Q(unit_price__gt=0), name="catalog_product_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(reorder_level__gte=0),
                name="catalog_product_reorder_level_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(average_cost__gte=0),
                name="catalog_product_average_cost_not_negative",
            ),
        ]
        permissions = [("adjust_stock", "Can adjust product stock")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name
