from operator import attrgetter

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
        if not isinstance(product, Product):
            return super().to_representation(product)
        return _product(_row_of(product), timezone.get_current_timezone())


# A product as a plain row: the product list reads its page in these columns.
PRODUCT_COLUMNS = (
    "id",
    "sku",
    "name",
    "description",
    "unit_price",
    "stock",
    "reorder_level",
    "category_id",
    "category__name",
    "is_active",
    "created_at",
    "updated_at",
)


# The same row, of a Product instance (with its category).
_row_of = attrgetter(*(column.replace("__", ".") for column in PRODUCT_COLUMNS))


def product_rows(rows: list[tuple]) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [_product(row, tz) for row in rows]


def _product(row: tuple, tz) -> dict:
    # Written out for the product list's speed: the same output as DRF's
    # generic path over ProductSerializer's fields (tests compare the two).
    (
        product_id,
        sku,
        name,
        description,
        unit_price,
        stock,
        reorder_level,
        category,
        category_name,
        is_active,
        created_at,
        updated_at,
    ) = row
    return {
        "id": product_id,
        "sku": sku,
        "name": name,
        "description": description,
        "unit_price": money(unit_price),
        "stock": stock,
        "reorder_level": reorder_level,
        "is_low_stock": stock <= reorder_level,
        "category": category,
        "category_name": category_name,
        "is_active": is_active,
        "created_at": timestamp(created_at, tz),
        "updated_at": timestamp(updated_at, tz),
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
