import django_filters
from django.db.models import F

from catalog.models import Product
from store_project.api.filters import (
    StrictBooleanFilter,
    StrictDecimalFilter,
    StrictIntegerFilter,
)

from .models import Location, StockLevel, StockMovement, Transfer


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
        # ``is_low_stock`` is the list's annotation (the total stock).
        if value is None:
            return queryset
        return queryset.filter(is_low_stock=value)


class StockMovementFilter(django_filters.FilterSet):
    product = StrictIntegerFilter(field_name="product_id")
    location = StrictIntegerFilter(field_name="location_id")
    order = StrictIntegerFilter(field_name="order_id")
    transfer = StrictIntegerFilter(field_name="transfer_id")
    purchase_order = StrictIntegerFilter(field_name="purchase_order_id")
    reason = django_filters.ChoiceFilter(choices=StockMovement.Reason.choices)

    class Meta:
        model = StockMovement
        fields = [
            "product",
            "location",
            "order",
            "transfer",
            "purchase_order",
            "reason",
        ]


# "return" is a Python keyword: declared by name.
StockMovementFilter.base_filters["return"] = StrictIntegerFilter(field_name="return_id")


class StockLevelFilter(django_filters.FilterSet):
    product = StrictIntegerFilter(field_name="product_id")
    location = StrictIntegerFilter(field_name="location_id")
    low_stock = StrictBooleanFilter(
        method="filter_low_stock", label="Only levels at or below their reorder level"
    )

    class Meta:
        model = StockLevel
        fields = ["product", "location", "low_stock"]

    def filter_low_stock(self, queryset, name, value):
        if value is None:
            return queryset
        low = {"on_hand__lte": F("reorder_level")}
        return queryset.filter(**low) if value else queryset.exclude(**low)


class LocationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Location.Kind.choices)
    is_active = StrictBooleanFilter()
    is_default = StrictBooleanFilter()

    class Meta:
        model = Location
        fields = ["kind", "is_active", "is_default"]


class TransferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Transfer.Status.choices)
    from_location = StrictIntegerFilter(field_name="from_location_id")
    to_location = StrictIntegerFilter(field_name="to_location_id")

    class Meta:
        model = Transfer
        fields = ["status", "from_location", "to_location"]
