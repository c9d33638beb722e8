import re

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from store_project.api.representation import Field, Representation
from store_project.api.serializers import (
    BoundedListSerializer,
    ModelSerializer,
    PriceField,
    StrictBooleanField,
    StrictCharField,
)

from .models import MAX_INT, MAX_TAX_RATES, Category, Product, StockMovement, TaxClass
from .services import ADJUSTMENT_REASONS, RATE_PLACES, RateSpec


class CategorySerializer(ModelSerializer):
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "product_count"]


# The model's is_low_stock, for the list's query. Written as SQL: the same
# comparison as an expression (F("stock") <= F("reorder_level")) is resolved
# anew on every request, which cost more than writing the page's rows.
_IS_LOW_STOCK = RawSQL(
    f'"{Product._meta.db_table}"."stock" <= "{Product._meta.db_table}"."reorder_level"',
    (),
    output_field=BooleanField(),
)

# A product as the API answers it; the product list reads its page in these
# columns. ``is_low_stock`` is computed in the list's query, as the model's
# property computes it for one product.
PRODUCT = Representation(
    Field("id"),
    Field("sku"),
    Field("name"),
    Field("description"),
    Field("unit_price", kind="money"),
    Field("stock"),
    Field("reorder_level"),
    Field("is_low_stock", _IS_LOW_STOCK, attribute="is_low_stock"),
    Field("category", "category_id"),
    Field("category_name", "category__name"),
    Field("tax_class", "tax_class_id"),
    Field("is_active"),
    Field("created_at", kind="timestamp"),
    Field("updated_at", kind="timestamp"),
)


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
    tax_class = serializers.PrimaryKeyRelatedField(
        queryset=TaxClass.objects.all(),
        allow_null=True,
        required=False,
        help_text="A tax class id; null (the default) means the default class.",
    )

    class Meta:
        model = Product
        fields = PRODUCT.fields

    def to_representation(self, product):
        if not isinstance(product, Product):
            return super().to_representation(product)
        return PRODUCT.write([PRODUCT.row_of(product)])[0]


RATE_PATTERN = rf"^0(?:\.[0-9]{{1,{RATE_PLACES}}})?$"
_RATE = re.compile(RATE_PATTERN)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": RATE_PATTERN,
        "example": "0.09975",
    }
)
class RateField(serializers.DecimalField):
    """A tax rate: a decimal string in [0, 1) with at most 5 places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", RATE_PLACES + 1)
        kwargs.setdefault("decimal_places", RATE_PLACES)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _RATE.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class TaxRateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=50)
    rate = RateField(help_text="A fraction in [0, 1), at most 5 places: 0.09975.")

    class Meta:
        list_serializer_class = BoundedListSerializer

    def validate(self, attrs):
        # A partial update makes nested fields optional; a rate never is.
        missing = {"name", "rate"} - set(attrs)
        if missing:
            raise serializers.ValidationError(
                {
                    name: [ErrorDetail("This field is required.", code="required")]
                    for name in sorted(missing)
                }
            )
        return attrs


class TaxClassSerializer(ModelSerializer):
    name = StrictCharField(max_length=50)
    rates = TaxRateSerializer(
        many=True,
        required=False,
        max_length=MAX_TAX_RATES,
        help_text="0 to 5 rates, names unique within the class; given, they "
        "replace the old ones. Orders keep the rates their lines copied.",
    )

    # Declared, so DRF adds no uniqueness check from the one-default index:
    # making a class the default moves the flag rather than clashing with it.
    is_default = StrictBooleanField(
        required=False,
        help_text="Exactly one class is the default: making a class the "
        "default moves the flag; the default cannot be unset.",
    )

    class Meta:
        model = TaxClass
        fields = ["id", "name", "rates", "is_default"]
        validators: list = []

    def validate_rates(self, rates: list[dict]) -> list[RateSpec]:
        names = [rate["name"].casefold() for rate in rates]
        if len(set(names)) < len(names):
            raise serializers.ValidationError(
                "Two rates of the class have the same name.",
                code="duplicate_rate_name",
            )
        return [RateSpec(name=rate["name"], rate=rate["rate"]) for rate in rates]


class StockAdjustmentSerializer(serializers.Serializer):
    # Zero is refused by stock_adjust, on this field, for the admin as here.
    quantity = serializers.IntegerField(
        min_value=-MAX_INT,
        max_value=MAX_INT,
        help_text="Signed change of stock, not zero.",
    )
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS]
    )
    note = StrictCharField(max_length=255, required=False, allow_blank=True, default="")


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
