import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from store_project.api.serializers import (
    BoundedListSerializer,
    ModelSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
)

from .models import MAX_LEAD_TIME_DAYS, MAX_TAX_RATES, Category, Supplier, TaxClass
from .services import RATE_PLACES, RateSpec


class CategorySerializer(ModelSerializer):
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "product_count"]


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


class SupplierSerializer(ModelSerializer):
    name = StrictCharField(max_length=100)
    email = StrictEmailField(required=False, allow_blank=True, max_length=254)
    phone = StrictCharField(required=False, allow_blank=True, max_length=30)
    address = StrictCharField(required=False, allow_blank=True, max_length=10_000)
    lead_time_days = serializers.IntegerField(
        min_value=0, max_value=MAX_LEAD_TIME_DAYS, required=False, default=7
    )
    is_active = StrictBooleanField(required=False)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "address",
            "lead_time_days",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        # The case-insensitive unique index decides (see the service).
        validators: list = []
