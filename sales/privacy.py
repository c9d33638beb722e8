"""What sales holds about a client, for customers' privacy services.

Registered in ``SalesConfig.ready``: customers cannot import sales, so it
asks through ``customers.privacy`` instead.
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from customers.privacy import ClientDataSource

from .models import Order, OrderStatus, Return
from .serializers import ORDER, ReturnSerializer, order_rows

# Orders still being fulfilled: they need the client's name and address.
OPEN_STATUSES = (OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.SHIPPED)


def client_orders_export(client_id: int) -> dict[str, list]:
    """The client's orders with their lines (two queries), and the returns
    of those orders with theirs (three), oldest first."""
    rows = (
        Order.objects.filter(client_id=client_id)
        .order_by("created_at", "id")
        .values_list(*ORDER.columns)
    )
    returns = (
        Return.objects.filter(order__client_id=client_id)
        .select_related("created_by")
        .prefetch_related("lines__product")
        .order_by("created_at", "id")
    )
    return {
        "orders": order_rows(list(rows)),
        "returns": ReturnSerializer(returns, many=True).data,
    }


def client_open_orders(client_id: int) -> list[tuple[str, str]]:
    open_orders = list(
        Order.objects.filter(client_id=client_id, status__in=OPEN_STATUSES)
        .order_by("id")
        .values_list("id", "status")
    )
    if not open_orders:
        return []
    named = ", ".join(f"#{pk} ({status})" for pk, status in open_orders)
    return [
        (
            "open_orders",
            f"Client #{client_id} has open orders: {named}; deliver or cancel "
            "them before anonymizing the client.",
        )
    ]


def clients_without_recent_orders(
    clients: QuerySet, cutoff: datetime.datetime
) -> QuerySet:
    """``clients`` less those with an open order or an order since ``cutoff``."""
    active = Order.objects.filter(client=OuterRef("pk")).filter(
        Q(status__in=OPEN_STATUSES) | Q(created_at__gte=cutoff)
    )
    return clients.exclude(Exists(active))


ORDERS = ClientDataSource(
    name="sales",
    export=client_orders_export,
    blockers=client_open_orders,
    exclude_active=clients_without_recent_orders,
)
