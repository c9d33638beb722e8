from django.utils import timezone
from rest_framework import serializers

from store_project.api.representation import money, timestamp
from store_project.api.serializers import (
    ModelSerializer,
    PriceField,
    StrictCharField,
)

from .models import MAX_INT, Category, Product, StockMovement
from .services import ADJUSTMENT_REASONS


class CategorySerializer(ModelSerializer):
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "product_count"]


class ProductSerializer(ModelSerializer):
    sku = StrictCharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )
    unit_price = PriceField()
    stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_INT,
        required=False,
        default=0,
        help_text="Opening stock on create; read-only afterwards (ignored on "
        "update): stock changes through orders and stock adjustments only.",
    )
    reorder_level = serializers.IntegerField(
        min_value=0, max_value=MAX_INT, required=False, default=0
    )
    is_low_stock = serializers.BooleanField(read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "unit_price",
            "stock",
            "reorder_level",
            "is_low_stock",
            "category",
            "category_name",
            "is_active",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, product):
        # Written out for the product list's speed: the same output as DRF's
        # generic path over the fields above (tests compare the two).
        if not isinstance(product, Product):
            return super().to_representation(product)
        tz = timezone.get_current_timezone()
        return {
            "id": product.id,
            "sku": product.sku,
            "name": product.name,
            "description": product.description,
            "unit_price": money(product.unit_price),
            "stock": product.stock,
            "reorder_level": product.reorder_level,
            "is_low_stock": product.is_low_stock,
            "category": product.category_id,
            "category_name": product.category.name,
            "is_active": product.is_active,
            "created_at": timestamp(product.created_at, tz),
            "updated_at": timestamp(product.updated_at, tz),
        }


class StockAdjustmentSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=-MAX_INT,
        max_value=MAX_INT,
        help_text="Signed change of stock, not zero.",
    )
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS]
    )
    note = StrictCharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_quantity(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("The quantity must not be zero.")
        return value


class StockMovementSerializer(ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product",
            "quantity",
            "reason",
            "order",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields
