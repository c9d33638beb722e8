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
        ]
        permissions = [("adjust_stock", "Can adjust product stock")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name
