from collections import Counter, defaultdict
from operator import attrgetter

from django.db.models import Manager
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from catalog.models import MAX_INT, Product
from customers.models import Client
from staff.models import Employee
from store_project.api.representation import money, timestamp
from store_project.api.serializers import ModelSerializer, StrictCharField
from store_project.db.sql import fetch_rows

from .models import Order, OrderLine, OrderStatusChange
from .services import LineSpec


class OrderLineSerializer(ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    line_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True
    )

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "product",
            "product_name",
            "quantity",
            "unit_price",
            "line_total",
        ]
        read_only_fields = fields

    def to_representation(self, line):
        if not isinstance(line, OrderLine):
            return super().to_representation(line)
        return _line(
            line.id, line.product_id, line.product.name, line.quantity, line.unit_price
        )


def _line(line_id, product, product_name, quantity, unit_price) -> dict:
    # Written out for the order list's speed: the same output as DRF's generic
    # path over OrderLineSerializer's fields (tests compare the two).
    return {
        "id": line_id,
        "product": product,
        "product_name": product_name,
        "quantity": quantity,
        "unit_price": money(unit_price),
        "line_total": money(quantity * unit_price),
    }


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
        return _orders_with_lines(orders)


def _lines_not_prefetched(order) -> bool:
    return isinstance(order, Order) and "lines" not in getattr(
        order, "_prefetched_objects_cache", ()
    )


# An order as a plain row: the order list reads its page in these columns.
ORDER_COLUMNS = (
    "id",
    "client_id",
    "employee_id",
    "status",
    "total_amount",
    "created_at",
    "confirmed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "notes",
)


# The lines of some orders, in the columns _line() takes: every order answer
# reads them, so the statement is written out rather than compiled each time.
_LINES_OF = f"""
    SELECT l.order_id, l.id, l.product_id, p.name, l.quantity, l.unit_price
    FROM {OrderLine._meta.db_table} l
    JOIN {Product._meta.db_table} p ON p.id = l.product_id
    WHERE l.order_id IN ({{}})
    ORDER BY l.id
"""
_LINE_FIELDS = [
    OrderLine._meta.get_field("order"),
    OrderLine._meta.get_field("id"),
    OrderLine._meta.get_field("product"),
    Product._meta.get_field("name"),
    OrderLine._meta.get_field("quantity"),
    OrderLine._meta.get_field("unit_price"),
]


def order_rows(rows: list[tuple]) -> list[dict]:
    """Orders read as ``ORDER_COLUMNS`` rows, with their lines (one query)."""
    lines = defaultdict(list)
    ids = [row[0] for row in rows]
    if ids:
        sql = _LINES_OF.format(", ".join(["%s"] * len(ids)))
        for order_id, *line in fetch_rows(sql, ids, _LINE_FIELDS):
            lines[order_id].append(_line(*line))
    tz = timezone.get_current_timezone()
    return [_order(row, lines[row[0]], tz) for row in rows]


def _orders_with_lines(orders: list[Order]) -> list[dict]:
    return order_rows([_order_row(order) for order in orders])


_order_row = attrgetter(*ORDER_COLUMNS)  # the same row, of an Order instance


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "client",
            "employee",
            "status",
            "lines",
            "total_amount",
            "created_at",
            "confirmed_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "notes",
        ]
        read_only_fields = fields
        list_serializer_class = OrderListSerializer

    def to_representation(self, order):
        if _lines_not_prefetched(order):
            return _orders_with_lines([order])[0]  # one query for its lines
        if not isinstance(order, Order):
            return super().to_representation(order)
        # Not through self.fields: building a ModelSerializer's fields costs
        # more than writing the order.
        return _order(
            _order_row(order),
            [
                _line(x.id, x.product_id, x.product.name, x.quantity, x.unit_price)
                for x in order.lines.all()
            ],
            timezone.get_current_timezone(),
        )


def _order(row: tuple, lines: list[dict], tz) -> dict:
    # Written out for the order list's speed: the same output as DRF's generic
    # path over OrderSerializer's fields (tests compare the two).
    (
        order_id,
        client,
        employee,
        status,
        total_amount,
        created_at,
        confirmed_at,
        shipped_at,
        delivered_at,
        cancelled_at,
        notes,
    ) = row
    return {
        "id": order_id,
        "client": client,
        "employee": employee,
        "status": str(status),
        "lines": lines,
        "total_amount": money(total_amount),
        "created_at": timestamp(created_at, tz),
        "confirmed_at": timestamp(confirmed_at, tz),
        "shipped_at": timestamp(shipped_at, tz),
        "delivered_at": timestamp(delivered_at, tz),
        "cancelled_at": timestamp(cancelled_at, tz),
        "notes": notes,
    }


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
