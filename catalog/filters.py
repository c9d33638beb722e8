import django_filters
from django.db.models import F

from store_project.api.filters import (
    StrictBooleanFilter,
    StrictDecimalFilter,
    StrictIntegerFilter,
)

from .models import Product, StockMovement, TaxClass


class ProductFilter(django_filters.FilterSet):
    category = StrictIntegerFilter(field_name="category_id")
    is_active = StrictBooleanFilter()
    low_stock = StrictBooleanFilter(
        method="filter_low_stock", label="Only products at or below their reorder level"
    )
    min_price = StrictDecimalFilter(field_name="unit_price", lookup_expr="gte")
    max_price = StrictDecimalFilter(field_name="unit_price", lookup_expr="lte")

    class Meta:
        model = Product
        fields = ["category", "is_active", "low_stock", "min_price", "max_price"]

    def filter_low_stock(self, queryset, name, value):
        if value is None:
            return queryset
        low = {"stock__lte": F("reorder_level")}
        return queryset.filter(**low) if value else queryset.exclude(**low)


class StockMovementFilter(django_filters.FilterSet):
    product = StrictIntegerFilter(field_name="product_id")
    order = StrictIntegerFilter(field_name="order_id")
    reason = django_filters.ChoiceFilter(choices=StockMovement.Reason.choices)

    class Meta:
        model = StockMovement
        fields = ["product", "order", "reason"]


class TaxClassFilter(django_filters.FilterSet):
    is_default = StrictBooleanFilter()

    class Meta:
        model = TaxClass
        fields = ["is_default"]
