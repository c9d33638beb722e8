import re
from collections import Counter

from django.db import connection
from django.db.models import Manager, TextField
from django.db.models.expressions import RawSQL
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from catalog.models import MAX_INT
from catalog.selectors import products_for_sale
from customers.models import Client
from inventory.models import Location
from staff.models import Employee
from store_project.api.representation import Field, Representation
from store_project.api.serializers import (
    KeyReferenceField,
    ModelSerializer,
    StrictBooleanField,
    StrictCharField,
)

from . import money
from .models import (
    MAX_TOTAL,
    DiscountKind,
    Order,
    OrderLine,
    OrderStatusChange,
    Return,
    ReturnLine,
    ReturnReason,
)
from .returns import MAX_LINES, ReturnLineSpec
from .services import LINE_ROWS, LINES_READ, LineSpec

# A line as the API answers it; orders' lines are read with ``_LINES_OF``,
# whose columns follow these fields.
LINE = Representation(
    Field("id"),
    Field("product", "product_id"),
    Field("product_name", "product__name"),
    Field("quantity"),
    Field("unit_price", kind="money"),
    Field("line_total", attribute="line_total", kind="money"),
    Field("discount_amount", kind="money"),
    Field("net_amount", kind="money"),
    Field("taxes", kind="json"),
    Field("tax_amount", kind="money"),
    Field("returned_quantity"),
)

_ORDER_TABLE = Order._meta.db_table
# The discount as the API writes it, built in the list's query from the
# order's three columns as JSON text (the model's ``discount`` property for
# one order). Text, not jsonb: orjson parses it several times faster than
# the ORM's JSONField would.
_DISCOUNT = RawSQL(
    f"""CASE WHEN "{_ORDER_TABLE}"."discount_kind" IS NULL THEN NULL
    ELSE json_build_object(
        'kind', "{_ORDER_TABLE}"."discount_kind",
        'value', "{_ORDER_TABLE}"."discount_value"::text,
        'reason', "{_ORDER_TABLE}"."discount_reason")::text END""",
    (),
    output_field=TextField(),
)

# An order as the API answers it; the order list reads its page in these
# columns, and every answer adds its lines.
ORDER = Representation(
    Field("id"),
    Field("client", "client_id"),
    Field("employee", "employee_id"),
    Field("location", "location_id"),
    Field("status", kind="text"),
    Field("subtotal", kind="money"),
    Field("discount", _DISCOUNT, attribute="discount", kind="json"),
    Field("discount_total", kind="money"),
    Field("tax_total", kind="money"),
    Field("total_amount", kind="money"),
    Field("refunded_amount", kind="money"),
    Field("created_at", kind="timestamp"),
    Field("confirmed_at", kind="timestamp"),
    Field("shipped_at", kind="timestamp"),
    Field("delivered_at", kind="timestamp"),
    Field("cancelled_at", kind="timestamp"),
    Field("notes"),
    nested=("lines",),
)

# The lines of some orders, after their order id: every order answer reads
# them, so the statement is written out rather than compiled each time
# (its ORM equivalent, a ``values_list`` over ``LINE.columns``, cost more CPU
# than writing the page). Amounts come as PostgreSQL's text of their
# numeric(n, 2), the digits the API writes, and the taxes as JSON text:
# building a Decimal per amount and formatting it back cost more than the
# rest of the lines.
_LINES_OF = f"{LINE_ROWS} WHERE l.order_id = ANY(%s) ORDER BY l.id"


class LineTaxSerializer(serializers.Serializer):
    name = serializers.CharField()
    rate = serializers.DecimalField(
        max_digits=money.RATE_PLACES + 1, decimal_places=money.RATE_PLACES
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderLineSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    line_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True
    )
    taxes = LineTaxSerializer(
        many=True,
        read_only=True,
        help_text="The rates of the product's tax class when the line was "
        "written, each with its amount: round(net_amount x rate), half-up.",
    )

    class Meta:
        model = OrderLine
        fields = LINE.fields
        read_only_fields = fields

    def to_representation(self, line):
        if not isinstance(line, OrderLine):
            return super().to_representation(line)
        return LINE.write([LINE.row_of(line)])[0]


class OrderListSerializer(serializers.ListSerializer):
    """Many orders, their lines read in one query as plain rows.

    Orders whose lines were not prefetched (the order list; OrderSerializer
    does the same for one order) get them here with one query of plain rows
    (``order_rows``): no per-order query, and none of the model instances that
    ``prefetch_related`` builds, which cost four times the rest of a page of
    50 orders.
    """

    def to_representation(self, data):
        orders = list(data.all() if isinstance(data, Manager) else data)
        if not all(_lines_not_prefetched(order) for order in orders):
            return super().to_representation(orders)
        return order_rows([ORDER.row_of(order) for order in orders])


def _lines_not_prefetched(order) -> bool:
    return isinstance(order, Order) and "lines" not in getattr(
        order, "_prefetched_objects_cache", ()
    )


def order_rows(rows: list[tuple], lines: list[tuple] | None = None) -> list[dict]:
    """Orders read as ``ORDER.columns`` rows, with their lines: ``lines``,
    the ``LINE_ROWS`` of those orders when the caller has them, else read
    here (one query)."""
    orders = ORDER.write(rows)
    for order in orders:
        order["lines"] = []
    if orders:
        by_id = {order["id"]: order for order in orders}
        if lines is None:
            with connection.cursor() as cursor:
                cursor.execute(_LINES_OF, [list(by_id)])
                lines = cursor.fetchall()
        answers = LINE.write(row[1:] for row in lines)
        for (order_id, *_), line in zip(lines, answers, strict=True):
            by_id[order_id]["lines"].append(line)
    return orders


class DiscountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DiscountKind.choices)
    value = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(allow_blank=True)


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    discount = DiscountSerializer(
        read_only=True,
        allow_null=True,
        help_text="The discount given, or null. Its money is discount_total, "
        "spread over the lines' discount_amount.",
    )

    class Meta:
        model = Order
        fields = ORDER.fields
        read_only_fields = fields
        list_serializer_class = OrderListSerializer

    def to_representation(self, order):
        if _lines_not_prefetched(order):
            # One query for its lines, unless the transition that wrote it
            # read them already (LINES_READ).
            lines = getattr(order, LINES_READ, None)
            return order_rows([ORDER.row_of(order)], lines)[0]
        if not isinstance(order, Order):
            return super().to_representation(order)
        # Not through self.fields: building a ModelSerializer's fields costs
        # more than writing the order.
        (answer,) = ORDER.write([ORDER.row_of(order)])
        answer["lines"] = LINE.write(LINE.row_of(line) for line in order.lines.all())
        return answer


class OrderLineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
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


# More than zero, at most 10 digits before the point and 2 after, plainly
# written; the range of each kind (a percent at most 100) is checked apart.
_DISCOUNT_VALUE = r"^(?:0*[1-9][0-9]{0,9}(?:\.[0-9]{1,2})?|0+\.(?:[1-9][0-9]?|0[1-9]))$"


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": _DISCOUNT_VALUE,
        "example": "10.00",
    }
)
class DiscountValueField(serializers.DecimalField):
    """A discount's value: a decimal string, at most 2 places, never a number."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(_DISCOUNT_VALUE, data):
            self.fail("invalid")
        return super().to_internal_value(data)


class DiscountInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DiscountKind.choices)
    value = DiscountValueField(
        help_text="percent: more than 0 and at most 100; amount: more than 0 "
        "and at most the order's subtotal."
    )
    reason = StrictCharField(
        allow_blank=True, required=False, default="", max_length=200
    )

    def validate(self, attrs):
        # A partial update makes nested fields optional; kind and value never are.
        missing = {"kind", "value"} - set(attrs)
        if missing:
            raise serializers.ValidationError(
                {
                    name: [ErrorDetail("This field is required.", code="required")]
                    for name in sorted(missing)
                }
            )
        value = attrs["value"]
        if attrs["kind"] == DiscountKind.PERCENT and not 0 < value <= 100:
            message = "A percent discount is more than 0 and at most 100."
            raise serializers.ValidationError(
                {"value": [ErrorDetail(message, code="out_of_range")]}
            )
        if attrs["kind"] == DiscountKind.AMOUNT and not 0 < value <= MAX_TOTAL:
            message = f"An amount discount is more than 0 and at most {MAX_TOTAL}."
            raise serializers.ValidationError(
                {"value": [ErrorDetail(message, code="out_of_range")]}
            )
        return money.Discount(attrs["kind"], value, attrs.get("reason", ""))


class OrderWriteSerializer(serializers.Serializer):
    """Create or change a draft: the lines given replace the old ones."""

    # Not read here: the order service holds the client for the order's
    # record (client_hold_for_record), which refuses one that does not exist.
    client = KeyReferenceField(queryset=Client.objects.all())
    employee = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
        help_text="Defaults to the employee linked to the requesting user.",
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        allow_null=True,
        required=False,
        help_text="Where the order takes its stock from. Defaults to the "
        "requesting employee's home location, else the default location.",
    )
    lines = OrderLineInputSerializer(many=True, required=False, max_length=500)
    notes = StrictCharField(allow_blank=True, required=False, max_length=10_000)
    discount = DiscountInputSerializer(
        allow_null=True,
        required=False,
        help_text="null removes the discount; left out, it is kept. Drafts only.",
    )

    def validate_lines(self, lines: list[dict]) -> list[LineSpec]:
        ids = [line["product"] for line in lines]
        products = products_for_sale(ids=ids)
        seen = Counter(ids)
        errors = []
        for line in lines:
            product_id = line["product"]
            if product_id not in products:
                message = f'Invalid pk "{product_id}" - object does not exist.'
                errors.append({"product": [ErrorDetail(message, "does_not_exist")]})
            elif seen[product_id] > 1:
                message = "The same product appears on two lines of the order."
                errors.append({"product": [ErrorDetail(message, "duplicate_product")]})
            else:
                errors.append({})
        if any(errors):
            raise serializers.ValidationError(errors)
        return [LineSpec(products[line["product"]], line["quantity"]) for line in lines]


class OrderStatusChangeSerializer(ModelSerializer):
    changed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "changed_at", "changed_by"]
        read_only_fields = fields


# --- Returns -------------------------------------------------------------------


class ReturnLineSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = ReturnLine
        fields = [
            "product",
            "product_name",
            "quantity",
            "restock",
            "reason",
            "refund_amount",
        ]
        read_only_fields = fields


class ReturnSerializer(ModelSerializer):
    lines = ReturnLineSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Return
        fields = [
            "id",
            "order",
            "location",
            "lines",
            "refund_amount",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ReturnLineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="A product on the order."
    )
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_INT,
        help_text="At most what was ordered of it less what was returned already.",
    )
    restock = StrictBooleanField(
        help_text="true: the units go back into stock at the order's location; "
        "false: written off."
    )
    reason = serializers.ChoiceField(choices=ReturnReason.choices)


class ReturnWriteSerializer(serializers.Serializer):
    """A return of some of a shipped or delivered order's lines."""

    # A ListField rather than many=True: the schema then says minItems too.
    lines = serializers.ListField(
        child=ReturnLineInputSerializer(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_LINES,
    )
    note = StrictCharField(allow_blank=True, required=False, max_length=10_000)

    def validate_lines(self, lines: list[dict]) -> list[ReturnLineSpec]:
        return [
            ReturnLineSpec(
                product_id=line["product"],
                quantity=line["quantity"],
                restock=line["restock"],
                reason=line["reason"],
            )
            for line in lines
        ]
