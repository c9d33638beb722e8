"""The dashboard on the admin index: figures from the database, by role."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.selectors import store_today
from sales.models import Order
from sales.services import order_transition
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def sold(amount: str, *, confirmed_at=None, then: tuple[str, ...] = ()) -> Order:
    product = ProductFactory(unit_price=Decimal(amount), stock=5)
    order = order_transition(
        order_id=OrderFactory(lines=[(product, 1)]).pk, action="confirm"
    )
    for action in then:
        order = order_transition(order_id=order.pk, action=action)
    if confirmed_at is not None:
        Order.objects.filter(pk=order.pk).update(confirmed_at=confirmed_at)
    return order


def test_managers_see_todays_and_this_months_sales_and_a_chart(manager):
    today = store_today()
    sold("10.00")
    sold("5.50", then=("ship", "deliver"))
    sold("100.00", then=("cancel",))  # cancelled: not a sale
    OrderFactory(lines=[(ProductFactory(unit_price=Decimal("7.00")), 1)])  # a draft
    sold("20.00", confirmed_at=timezone.now() - datetime.timedelta(days=1))
    sold("1000.00", confirmed_at=timezone.now() - datetime.timedelta(days=40))

    response = manager.get(reverse("admin:index"))

    dashboard = response.context["dashboard"]
    assert dashboard.today == today
    assert dashboard.sales_today.amount == Decimal("15.50")
    assert dashboard.sales_today.orders == 2
    expected_month = Decimal("35.50") if today.day > 1 else Decimal("15.50")
    assert dashboard.sales_month.amount == expected_month
    # The chart is the last 30 days, today included, whatever the day of the month.
    assert len(dashboard.sales_by_day) == 30
    assert dashboard.sales_by_day[0].day == today - datetime.timedelta(days=29)
    assert dashboard.sales_by_day[-1].day == today
    assert dashboard.sales_by_day[-1].amount == Decimal("15.50")
    assert sum(d.amount for d in dashboard.sales_by_day) == Decimal("35.50")
    body = response.content.decode()
    assert 'id="sales-today"' in body and "15.50" in body
    assert 'class="bars"' in body
    assert 'id="reports-link"' in body


def test_on_the_first_of_a_month_the_chart_still_shows_30_days():
    from reports.selectors import dashboard_sales

    first = datetime.date(2026, 12, 1)
    toronto = ZoneInfo("America/Toronto")
    sold("4.00", confirmed_at=datetime.datetime(2026, 11, 30, 23, 30, tzinfo=toronto))
    sold("2.00", confirmed_at=datetime.datetime(2026, 12, 1, 0, 30, tzinfo=toronto))
    sold("9.00", confirmed_at=datetime.datetime(2026, 11, 1, 12, 0, tzinfo=toronto))

    figures = dashboard_sales(today=first)

    assert [d.day for d in figures["sales_by_day"]][:2] == [
        datetime.date(2026, 11, 2),
        datetime.date(2026, 11, 3),
    ]
    assert len(figures["sales_by_day"]) == 30
    assert figures["sales_by_day"][-2].amount == Decimal("4.00")
    assert figures["sales_today"].amount == Decimal("2.00")
    assert figures["sales_month"].amount == Decimal("2.00")
    assert figures["best_day"] == Decimal("4.00")


def test_on_the_31st_the_month_includes_its_first_day_outside_the_chart():
    from reports.selectors import dashboard_sales

    toronto = ZoneInfo("America/Toronto")
    sold("3.00", confirmed_at=datetime.datetime(2026, 12, 1, 9, 0, tzinfo=toronto))

    figures = dashboard_sales(today=datetime.date(2026, 12, 31))

    assert figures["sales_month"].amount == Decimal("3.00")
    assert figures["sales_month"].orders == 1
    assert figures["sales_by_day"][0].day == datetime.date(2026, 12, 2)
    assert sum(d.amount for d in figures["sales_by_day"]) == Decimal("0.00")


def test_orders_by_status_count_every_status(clerk):
    sold("1.00")
    sold("1.00", then=("ship",))
    OrderFactory.create_batch(2)

    response = clerk.get(reverse("admin:index"))

    counts = {
        row.status: row.count for row in response.context["dashboard"].orders_by_status
    }
    assert counts == {
        "draft": 2,
        "confirmed": 1,
        "shipped": 1,
        "delivered": 0,
        "cancelled": 0,
    }
    assert 'id="status-draft"' in response.content.decode()


def test_sales_money_is_for_managers_only(clerk, warehouse):
    sold("10.00")

    for user in (clerk, warehouse):
        response = user.get(reverse("admin:index"))
        assert response.context["dashboard"].sales_today is None
        assert 'id="sales-today"' not in response.content.decode()


def test_low_stock_lists_active_products_at_or_below_their_reorder_level(warehouse):
    short = ProductFactory(name="Short", stock=0, reorder_level=3)
    at_level = ProductFactory(name="At level", stock=3, reorder_level=3)
    ProductFactory(name="Fine", stock=4, reorder_level=3)
    ProductFactory(name="Retired", stock=0, reorder_level=3, is_active=False)

    response = warehouse.get(reverse("admin:index"))

    dashboard = response.context["dashboard"]
    assert dashboard.low_stock == [short, at_level]
    assert dashboard.low_stock_count == 2
    assert "Short" in response.content.decode()


def test_the_low_stock_count_covers_more_than_the_list(warehouse):
    for n in range(12):
        ProductFactory(stock=0, reorder_level=n + 1)

    dashboard = warehouse.get(reverse("admin:index")).context["dashboard"]

    assert len(dashboard.low_stock) == 10
    assert dashboard.low_stock_count == 12


def test_the_low_stock_by_location_panel_shows_the_users_locations(warehouse):
    from inventory.models import StockLevel
    from inventory.services import stock_apply, stock_level_update
    from tests.factories import EmployeeFactory, LocationFactory

    north = LocationFactory(code="NORTH")
    ink = ProductFactory(name="Ink", stock=2)
    stock_apply(location_id=north.pk, changes={ink.pk: 1}, reason="restock")
    for level in StockLevel.objects.filter(product=ink):
        stock_level_update(stock_level=level, reorder_level=3)
    ProductFactory(name="Paper", stock=0)  # no reorder level set: not listed

    everywhere = warehouse.get(reverse("admin:index"))
    EmployeeFactory(user=warehouse.user).locations.set([north])
    scoped = warehouse.get(reverse("admin:index"))

    assert [
        (lv.product.name, lv.location.code, lv.on_hand)
        for lv in everywhere.context["low_stock_levels"]
    ] == [("Ink", "NORTH", 1), ("Ink", "MAIN", 2)]
    assert [lv.location.code for lv in scoped.context["low_stock_levels"]] == ["NORTH"]
    assert 'data-location="NORTH"' in scoped.content.decode()
