from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from store_project.api.idempotency import idempotent
from store_project.api.viewsets import ServiceModelViewSet, page_size_errors

from . import services
from .filters import ProductFilter, StockMovementFilter, TaxClassFilter
from .models import Category, Product, StockMovement, TaxClass, TaxRate
from .serializers import (
    PRODUCT,
    CategorySerializer,
    ProductSerializer,
    StockAdjustmentSerializer,
    StockMovementSerializer,
    TaxClassSerializer,
)


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


@extend_validation_errors(
    ["unique"], field_name="sku", actions=["create", "update", "partial_update"]
)
class ProductViewSet(ServiceModelViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["name", "unit_price", "stock", "created_at"]
    action_permissions = {"adjust_stock": ["catalog.adjust_stock"]}
    conflict_actions = ("adjust_stock",)
    representation = PRODUCT

    def get_queryset(self):
        return Product.objects.select_related("category")

    def create_object(self, data):
        return services.product_create(**data, by=self.request.user)

    def update_object(self, instance, data):
        data = {k: v for k, v in data.items() if k != "stock"}
        return services.product_update(product=instance, **data)

    def delete_object(self, instance):
        services.product_delete(product=instance)

    @extend_schema(
        request=StockAdjustmentSerializer,
        responses={200: ProductSerializer},
        summary="Adjust a product's stock",
        description="Adds (or, when negative, removes) units and writes the "
        "stock movement. A result below zero answers 409 and changes nothing.",
    )
    @action(detail=True, methods=["post"], url_path="adjust-stock")
    @idempotent
    def adjust_stock(self, request, pk=None):
        product = self.get_object()
        serializer = StockAdjustmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.stock_adjust(
            product=product, **serializer.validated_data, by=request.user
        )
        return Response(ProductSerializer(self.get_queryset().get(pk=product.pk)).data)


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


@page_size_errors
class StockMovementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    search_fields = ["note"]
    ordering_fields = ["created_at", "quantity"]

    def get_queryset(self):
        return StockMovement.objects.select_related("created_by")
