import re
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from catalog.models import Product, Supplier
from inventory.models import Location
from store_project.api.serializers import (
    ModelSerializer,
    StrictCharField,
    UtcDateTimeField,
)

from .models import MAX_INT, PurchaseOrder, PurchaseOrderLine
from .selectors import DEFAULT_COVER_DAYS
from .services import PurchaseLineSpec, total_cost

# A unit cost: > 0, at most 8 digits before the point and 4 after.
COST_PATTERN = r"^(?=.*[1-9])[0-9]{1,8}(?:\.[0-9]{1,4})?$"
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
MAX_COVER_DAYS = 365


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": COST_PATTERN,
        "example": "12.3456",
    }
)
class CostField(serializers.DecimalField):
    """A unit cost in: a decimal string above 0 with at most 4 places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("min_value", Decimal("0.0001"))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _PLAIN_DECIMAL.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class PurchaseOrderLineSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_cost = serializers.DecimalField(
        max_digits=12, decimal_places=4, read_only=True
    )

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "product",
            "product_name",
            "quantity",
            "unit_cost",
            "received_quantity",
        ]
        read_only_fields = fields


class PurchaseOrderSerializer(ModelSerializer):
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)
    total_cost = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "supplier",
            "location",
            "status",
            "lines",
            "total_cost",
            "notes",
            "expected_at",
            "created_at",
            "ordered_at",
            "received_at",
            "closed_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "format": "decimal", "example": "123.45"})
    def get_total_cost(self, purchase_order) -> str:
        # The lines are prefetched: no query per purchase order.
        lines = purchase_order.lines.all()
        return f"{total_cost((line.quantity, line.unit_cost) for line in lines):f}"


class PurchaseOrderLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    unit_cost = CostField(help_text="More than 0, at most 4 places: 12.3456.")

    def validate(self, attrs):
        # A partial update makes nested fields optional; a line never is.
        missing = {"product", "quantity", "unit_cost"} - set(attrs)
        if missing:
            raise serializers.ValidationError(
                {
                    name: [ErrorDetail("This field is required.", code="required")]
                    for name in sorted(missing)
                }
            )
        return attrs


def _once_each(lines: list[dict], what: str) -> list[dict]:
    products = [line["product"].pk for line in lines]
    if len(set(products)) != len(products):
        raise serializers.ValidationError(
            f"The same product appears on two lines of the {what}.",
            code="duplicate_product",
        )
    return lines


class PurchaseOrderWriteSerializer(serializers.Serializer):
    """Create or change a draft: the lines given replace the old ones."""

    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="Where the goods are received; the default location when omitted.",
    )
    lines = PurchaseOrderLineInputSerializer(many=True, required=False, max_length=500)
    notes = StrictCharField(allow_blank=True, required=False, max_length=10_000)
    expected_at = UtcDateTimeField(required=False, allow_null=True)

    def validate_lines(self, lines):
        return [
            PurchaseLineSpec(line["product"], line["quantity"], line["unit_cost"])
            for line in _once_each(lines, "purchase order")
        ]


class PurchaseOrderReceiveLineSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_INT)


class PurchaseOrderReceiveSerializer(serializers.Serializer):
    """What arrived; no ``lines``: everything the order still awaits."""

    lines = PurchaseOrderReceiveLineSerializer(
        many=True, required=False, max_length=500
    )

    def validate_lines(self, lines):
        return {
            line["product"].pk: line["quantity"]
            for line in _once_each(lines, "receipt")
        }


class ReorderQuerySerializer(serializers.Serializer):
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        help_text="The location to reorder for; the default location when omitted.",
    )
    cover_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_COVER_DAYS,
        required=False,
        default=DEFAULT_COVER_DAYS,
        help_text="Days of sales to cover beyond the supplier's lead time.",
    )


class ReorderSuggestionSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    sku = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    supplier = serializers.IntegerField(allow_null=True)
    on_hand = serializers.IntegerField()
    incoming = serializers.IntegerField()
    reorder_level = serializers.IntegerField()
    daily_sales = serializers.DecimalField(max_digits=14, decimal_places=2)
    suggested_quantity = serializers.IntegerField()


# One object, though the view's action is a "list".
@extend_schema_serializer(many=False)
class ReorderSuggestionsSerializer(serializers.Serializer):
    location = serializers.IntegerField()
    cover_days = serializers.IntegerField()
    results = ReorderSuggestionSerializer(many=True)


class ReorderCreatedSerializer(serializers.Serializer):
    purchase_orders = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(child=serializers.IntegerField())
