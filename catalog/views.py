from django.db.models import Count, Prefetch
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .filters import SupplierFilter, TaxClassFilter
from .models import Category, Supplier, TaxClass, TaxRate
from .serializers import CategorySerializer, SupplierSerializer, TaxClassSerializer


# Raised by the service from the database's unique index, so not introspectable.
@extend_validation_errors(
    ["unique"], field_name="name", actions=["create", "update", "partial_update"]
)
class CategoryViewSet(ServiceModelViewSet):
    serializer_class = CategorySerializer
    search_fields = ["name"]
    ordering_fields = ["name", "product_count"]
    filterset_fields: list[str] = []

    def get_queryset(self):
        return Category.objects.annotate(product_count=Count("products")).order_by(
            "name", "id"
        )

    def create_object(self, data):
        return services.category_create(**data)

    def update_object(self, instance, data):
        return services.category_update(category=instance, **data)

    def delete_object(self, instance):
        services.category_delete(category=instance)


# Refused by the service or the database, so not introspectable.
@extend_validation_errors(
    ["unique"], field_name="name", actions=["create", "update", "partial_update"]
)
@extend_validation_errors(
    ["duplicate_rate_name", "invalid_rate", "unique", "null"],
    field_name="rates",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["null"], field_name="rates.INDEX", actions=["create", "update", "partial_update"]
)
@extend_validation_errors(
    ["max_length"],
    field_name="rates.non_field_errors",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["default_required", "unique"],
    field_name="is_default",
    actions=["create", "update", "partial_update"],
)
class TaxClassViewSet(ServiceModelViewSet):
    serializer_class = TaxClassSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]
    filterset_class = TaxClassFilter

    def get_queryset(self):
        rates = TaxRate.objects.order_by("position")
        return TaxClass.objects.prefetch_related(
            Prefetch("rates", queryset=rates)
        ).order_by("name", "id")

    def create_object(self, data):
        return services.tax_class_create(**data)

    def update_object(self, instance, data):
        return services.tax_class_update(tax_class=instance, **data)

    def delete_object(self, instance):
        services.tax_class_delete(tax_class=instance)


# Raised by the service from the database's unique index, so not introspectable.
@extend_validation_errors(
    ["unique"], field_name="name", actions=["create", "update", "partial_update"]
)
class SupplierViewSet(ServiceModelViewSet):
    """Who the shop buys from; shared by every location, written by managers."""

    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    search_fields = ["name", "email"]
    ordering_fields = ["name", "lead_time_days", "created_at"]

    def get_queryset(self):
        return Supplier.objects.order_by("name", "id")

    def create_object(self, data):
        return services.supplier_create(**data)

    def update_object(self, instance, data):
        return services.supplier_update(supplier=instance, **data)

    def delete_object(self, instance):
        services.supplier_delete(supplier=instance)
