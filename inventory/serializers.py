import operator

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from catalog.models import Product, Supplier, TaxClass
from store_project.api.representation import Field, Representation
from store_project.api.serializers import (
    ModelSerializer,
    PriceField,
    StrictBooleanField,
    StrictCharField,
)

from .models import (
    MAX_INT,
    Location,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
)
from .selectors import PRODUCT_STOCK
from .services import ADJUSTMENT_REASONS, TransferLineSpec

# A product as the API answers it: the catalog's fields and its total stock
# over every location. The product list reads its page in these columns;
# ``stock`` is computed in the list's query (``inventory.selectors.
# products_with_stock`` annotates an instance alike), ``is_low_stock`` from it.
PRODUCT = Representation(
    Field("id"),
    Field("sku"),
    Field("name"),
    Field("description"),
    Field("unit_price", kind="money"),
    Field("stock", PRODUCT_STOCK, attribute="stock"),
    Field("reorder_level"),
    Field("is_low_stock", derive=(operator.le, "stock", "reorder_level")),
    Field("category", "category_id"),
    Field("category_name", "category__name"),
    Field("tax_class", "tax_class_id"),
    Field("supplier", "supplier_id"),
    Field("average_cost", kind="cost"),
    Field("is_active"),
    Field("created_at", kind="timestamp"),
    Field("updated_at", kind="timestamp"),
)


@extend_schema_field(
    {"type": "integer", "minimum": -MAX_INT, "maximum": MAX_INT, "not": {"enum": [0]}}
)
class NonZeroIntegerField(serializers.IntegerField):
    """A signed change: the schema says that zero is refused (by the service)."""


class TotalStockField(serializers.IntegerField):
    """Opening stock in, at most ``MAX_INT``; out, the sum over locations,
    each of which holds up to ``MAX_INT`` (so no validator says the maximum,
    which the schema would apply to both)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value > MAX_INT:
            self.fail("max_value", max_value=MAX_INT)
        return value


class TotalStockSchema(OpenApiSerializerFieldExtension):
    target_class = TotalStockField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        schema["maximum"] = MAX_INT if direction == "request" else 2**63 - 1
        return schema


class ProductSerializer(ModelSerializer):
    sku = StrictCharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )
    unit_price = PriceField()
    stock = TotalStockField(
        min_value=0,
        required=False,
        default=0,
        help_text="Opening stock on create, at the default location; read-only "
        "afterwards (ignored on update): the sum of the product's stock levels, "
        "changed through orders, adjustments and transfers only.",
    )
    reorder_level = serializers.IntegerField(
        min_value=0, max_value=MAX_INT, required=False, default=0
    )
    is_low_stock = serializers.BooleanField(read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    tax_class = serializers.PrimaryKeyRelatedField(
        queryset=TaxClass.objects.all(),
        allow_null=True,
        required=False,
        help_text="A tax class id; null (the default) means the default class.",
    )
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Supplier.objects.all(),
        allow_null=True,
        required=False,
        help_text="The preferred supplier's id, or null.",
    )
    average_cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        read_only=True,
        help_text="The moving average unit cost of the goods received, 4 "
        "places; 0.0000 until the first receipt.",
    )

    class Meta:
        model = Product
        fields = PRODUCT.fields

    def to_representation(self, product):
        if not isinstance(product, Product):
            return super().to_representation(product)
        return PRODUCT.write([PRODUCT.row_of(product)])[0]


class StockAdjustmentSerializer(serializers.Serializer):
    # Zero is refused by stock_adjust, on this field, for the admin as here.
    quantity = NonZeroIntegerField(
        min_value=-MAX_INT,
        max_value=MAX_INT,
        help_text="Signed change of stock, not zero.",
    )
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS]
    )
    note = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Where the stock changes; the default location when omitted.",
    )


class StockMovementSerializer(ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    purchase_order = serializers.IntegerField(
        source="purchase_order_id", read_only=True, allow_null=True
    )
    # "return" is a keyword, so it is declared through the class namespace.
    vars()["return"] = serializers.IntegerField(
        source="return_id", read_only=True, allow_null=True
    )
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, read_only=True, allow_null=True
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product",
            "location",
            "quantity",
            "reason",
            "order",
            "transfer",
            "purchase_order",
            "return",
            "unit_cost",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class LocationSerializer(ModelSerializer):
    code = StrictCharField(
        max_length=20,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9-]{1,20}$", "Use 1-20 characters of A-Z, 0-9 and '-'."
            )
        ],
        help_text="1-20 characters of A-Z, 0-9 and '-'; stored upper-cased.",
    )
    name = StrictCharField(max_length=100)
    address = StrictCharField(required=False, allow_blank=True, max_length=10_000)
    is_active = StrictBooleanField(required=False)
    is_default = StrictBooleanField(
        required=False,
        help_text="Exactly one location is the default: making one the default "
        "moves the flag from the old one.",
    )

    class Meta:
        model = Location
        fields = ["id", "code", "name", "kind", "address", "is_active", "is_default"]

    def validate_code(self, value: str) -> str:
        return value.upper()


class StockLevelSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True)
    reorder_level = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    is_low_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = StockLevel
        fields = [
            "id",
            "product",
            "product_name",
            "sku",
            "location",
            "on_hand",
            "reorder_level",
            "is_low_stock",
        ]
        read_only_fields = ["id", "product", "location", "on_hand"]


class TransferLineSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = TransferLine
        fields = ["id", "product", "product_name", "quantity", "received_quantity"]
        read_only_fields = fields


class TransferSerializer(ModelSerializer):
    lines = TransferLineSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Transfer
        fields = [
            "id",
            "from_location",
            "to_location",
            "status",
            "lines",
            "notes",
            "created_by",
            "created_at",
            "shipped_at",
            "received_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class TransferLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_INT)

    def validate(self, attrs):
        # A partial update makes nested fields optional; a line never is.
        missing = {"product", "quantity"} - set(attrs)
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


class TransferWriteSerializer(serializers.Serializer):
    """Create or change a draft: the lines given replace the old ones."""

    from_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    to_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    lines = TransferLineInputSerializer(many=True, required=False, max_length=500)
    notes = StrictCharField(allow_blank=True, required=False, max_length=10_000)

    def validate_lines(self, lines):
        return [
            TransferLineSpec(line["product"], line["quantity"])
            for line in _once_each(lines, "transfer")
        ]


class TransferReceiveLineSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_INT)


class TransferReceiveSerializer(serializers.Serializer):
    """What arrived; a line left out received 0. No ``lines``: all shipped."""

    lines = TransferReceiveLineSerializer(many=True, required=False, max_length=500)

    def validate_lines(self, lines):
        return {
            line["product"].pk: line["quantity"]
            for line in _once_each(lines, "receipt")
        }
