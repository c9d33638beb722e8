from collections import Counter

from django.db import connection
from django.db.models import Manager
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from catalog.models import MAX_INT, Product
from customers.models import Client
from inventory.models import Location
from staff.models import Employee
from store_project.api.representation import Field, Representation
from store_project.api.serializers import ModelSerializer, StrictCharField

from .models import Order, OrderLine, OrderStatusChange
from .services import LineSpec

# A line as the API answers it; orders' lines are read with ``_LINES_OF``,
# whose columns follow these fields.
LINE = Representation(
    Field("id"),
    Field("product", "product_id"),
    Field("product_name", "product__name"),
    Field("quantity"),
    Field("unit_price", kind="money"),
    Field("line_total", attribute="line_total", kind="money"),
)

# An order as the API answers it; the order list reads its page in these
# columns, and every answer adds its lines.
ORDER = Representation(
    Field("id"),
    Field("client", "client_id"),
    Field("employee", "employee_id"),
    Field("location", "location_id"),
    Field("status", kind="text"),
    Field("total_amount", kind="money"),
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
# than writing the page).
_LINES_OF = f"""
    SELECT l.order_id, l.id, l.product_id, p.name, l.quantity, l.unit_price,
           l.quantity * l.unit_price
    FROM {OrderLine._meta.db_table} l
    JOIN {Product._meta.db_table} p ON p.id = l.product_id
    WHERE l.order_id = ANY(%s)
    ORDER BY l.id
"""


class OrderLineSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    line_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True
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


def order_rows(rows: list[tuple]) -> list[dict]:
    """Orders read as ``ORDER.columns`` rows, with their lines (one query)."""
    orders = ORDER.write(rows)
    for order in orders:
        order["lines"] = []
    if orders:
        by_id = {order["id"]: order for order in orders}
        with connection.cursor() as cursor:
            cursor.execute(_LINES_OF, [list(by_id)])
            lines = cursor.fetchall()
        answers = LINE.write(row[1:] for row in lines)
        for (order_id, *_), line in zip(lines, answers, strict=True):
            by_id[order_id]["lines"].append(line)
    return orders


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ORDER.fields
        read_only_fields = fields
        list_serializer_class = OrderListSerializer

    def to_representation(self, order):
        if _lines_not_prefetched(order):
            return order_rows([ORDER.row_of(order)])[0]  # one query for its lines
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


class OrderWriteSerializer(serializers.Serializer):
    """Create or change a draft: the lines given replace the old ones."""

    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
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

    def validate_lines(self, lines: list[dict]) -> list[LineSpec]:
        ids = [line["product"] for line in lines]
        products = Product.objects.in_bulk(set(ids))
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
