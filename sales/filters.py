import django_filters

from store_project.api.filters import StrictIntegerFilter, UtcDateTimeFilter

from .models import Order, OrderStatus, Return


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    client = StrictIntegerFilter(field_name="client_id")
    employee = StrictIntegerFilter(field_name="employee_id")
    location = StrictIntegerFilter(field_name="location_id")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Order
        fields = [
            "status",
            "client",
            "employee",
            "location",
            "created_after",
            "created_before",
        ]


class ReturnFilter(django_filters.FilterSet):
    order = StrictIntegerFilter(field_name="order_id")
    location = StrictIntegerFilter(field_name="location_id")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = Return
        fields = ["order", "location", "created_after", "created_before"]
