"""Reads of orders (and the stock they depend on) for the back-office dashboard."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import Product
from inventory.selectors import products_with_stock

from .models import Order, OrderStatus

# Orders that count as sold: confirmed, whatever happened to them since,
# except a cancellation (which gives the stock, and the sale, back).
SOLD_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class SalesTotal:
    amount: Decimal
    orders: int


@dataclass(frozen=True)
class DaySales:
    day: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    today: datetime.date
    sales_today: SalesTotal | None = None
    sales_month: SalesTotal | None = None
    sales_by_day: list[DaySales] = field(default_factory=list)
    best_day: Decimal = Decimal("0.00")
    orders_by_status: list[StatusCount] = field(default_factory=list)
    most_orders: int = 0
    low_stock: list[Product] = field(default_factory=list)
    low_stock_count: int = 0


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the current time zone, aware."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _sold_between(start: datetime.date, end: datetime.date):
    """Sold orders confirmed on ``start`` up to, not including, ``end``."""
    return Order.objects.filter(
        status__in=SOLD_STATUSES,
        confirmed_at__gte=_start_of(start),
        confirmed_at__lt=_start_of(end),
    )


def sales_total(*, start: datetime.date, end: datetime.date) -> SalesTotal:
    """Sum of ``total_amount`` and count of orders sold in ``[start, end)``."""
    row = _sold_between(start, end).aggregate(
        amount=Sum("total_amount"), orders=Count("id")
    )
    return SalesTotal(amount=row["amount"] or Decimal("0.00"), orders=row["orders"])


def sales_by_day(*, start: datetime.date, end: datetime.date) -> list[DaySales]:
    """Sales per local day in ``[start, end)``, days without sales included."""
    rows = dict(
        _sold_between(start, end)
        .annotate(day=TruncDate("confirmed_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("day")
        .annotate(amount=Sum("total_amount"))
    )
    days = (end - start).days
    return [
        DaySales(day=day, amount=rows.get(day, Decimal("0.00")))
        for day in (start + datetime.timedelta(days=n) for n in range(days))
    ]


def order_count_by_status() -> list[StatusCount]:
    """How many orders are in each status, every status listed."""
    counts = dict(
        Order.objects.order_by().values_list("status").annotate(count=Count("id"))
    )
    return [
        StatusCount(
            status=status.value, label=status.label, count=counts.get(status, 0)
        )
        for status in OrderStatus
    ]


def low_stock_products(*, limit: int = 10) -> tuple[list[Product], int]:
    """Active products at or below their reorder level, the shortest first.

    Returns at most ``limit`` products, and how many there are in all.
    """
    low = products_with_stock().filter(is_active=True, is_low_stock=True)
    products = list(
        low.select_related("category").order_by(
            F("stock") - F("reorder_level"), "name", "id"
        )[:limit]
    )
    count = len(products) if len(products) < limit else low.count()
    return products, count


def dashboard(
    *,
    today: datetime.date,
    sales: bool = True,
    orders: bool = True,
    stock: bool = True,
) -> Dashboard:
    """The figures of the admin index; each part only when asked for."""
    figures: dict = {"today": today}
    if sales:
        month_start = today.replace(day=1)
        tomorrow = today + datetime.timedelta(days=1)
        by_day = sales_by_day(start=month_start, end=tomorrow)
        figures.update(
            sales_today=sales_total(start=today, end=tomorrow),
            sales_month=sales_total(start=month_start, end=tomorrow),
            sales_by_day=by_day,
            best_day=max((d.amount for d in by_day), default=Decimal("0.00")),
        )
    if orders:
        by_status = order_count_by_status()
        figures.update(
            orders_by_status=by_status,
            most_orders=max((s.count for s in by_status), default=0),
        )
    if stock:
        products, count = low_stock_products()
        figures.update(low_stock=products, low_stock_count=count)
    return Dashboard(**figures)
