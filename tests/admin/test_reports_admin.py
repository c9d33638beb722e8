"""The admin's Reports page: sales by period and category, stock value, CSV."""

import csv
import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from reports.selectors import store_today
from sales.models import Order
from sales.services import order_transition
from tests.factories import CategoryFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
TORONTO = ZoneInfo("America/Toronto")


@pytest.fixture
def sales():
    tools = CategoryFactory(name="Tools <b>& co</b>")
    hammer = ProductFactory(
        name="Hammer", sku="HAM", unit_price=Decimal("19.99"), category=tools, stock=9
    )
    nails = ProductFactory(name="Nails", unit_price=Decimal("0.15"), stock=100)
    today = store_today()
    for product, quantity in [(hammer, 2), (nails, 7)]:
        draft = OrderFactory(lines=[(product, quantity)])
        order_transition(order_id=draft.pk, action="confirm")
        Order.objects.filter(pk=draft.pk).update(
            confirmed_at=datetime.datetime.combine(
                today, datetime.time(9), tzinfo=TORONTO
            )
        )
    return {"hammer": hammer, "nails": nails, "today": today}


def test_managers_see_sales_by_period_and_category_and_the_stock_value(manager, sales):
    response = manager.get(reverse("admin:reports"))

    assert response.status_code == 200
    by_period = response.context["by_period"]
    assert len(by_period.rows) == 30
    assert by_period.rows[-1].key == sales["today"].isoformat()
    assert by_period.totals.total == Decimal("41.03")
    by_category = response.context["by_category"]
    assert next((row.label, row.total) for row in by_category.rows) == (
        "Tools <b>& co</b>",
        Decimal("39.98"),
    )
    inventory = response.context["inventory"]
    hammer = next(row for row in inventory.rows if row.sku == "HAM")
    assert (hammer.on_hand, hammer.value, hammer.days_of_cover) == (
        7,
        Decimal("0.00"),
        Decimal("105.0"),
    )
    body = response.content.decode()
    # Charts are SVG written by the server: no script, nothing from elsewhere.
    assert body.count('<svg class="chart"') == 2
    assert "<rect" in body
    assert not re.search(r"<script[^>]+src=\"https?://", body)
    # Names are escaped, in the tables and in the charts.
    assert "Tools <b>" not in body
    assert "Tools &lt;b&gt;&amp; co&lt;/b&gt;" in body
    assert 'id="period-totals"' in body and "41.03" in body


def test_the_csv_links_download_the_reports_through_the_session(manager, sales):
    response = manager.get(
        reverse("admin:reports"),
        {"date_from": "2026-01-01", "date_to": sales["today"].isoformat()},
    )
    links = response.context["csv"]

    period = manager.get(links["period"])
    category = manager.get(links["category"])
    inventory = manager.get(links["inventory"])

    assert links["period"].startswith("/api/v1/reports/sales/?")
    assert "format=csv" in links["period"] and "group_by=day" in links["period"]
    for download in (period, category, inventory):
        assert download.status_code == 200
        assert download["Content-Type"] == "text/csv; charset=utf-8"
        assert download["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(b"".join(category.streaming_content).decode())))
    assert rows[0] == [
        "key",
        "label",
        "orders",
        "units",
        "net_sales",
        "tax",
        "refunds",
        "total",
    ]
    assert rows[1][1:] == [
        "Tools <b>& co</b>",
        "1",
        "2",
        "39.98",
        "0.00",
        "0.00",
        "39.98",
    ]


def test_the_page_groups_by_week_or_month(manager, sales):
    response = manager.get(
        reverse("admin:reports"),
        {"date_from": "2026-11-01", "date_to": "2026-11-30", "group_by": "week"},
    )

    assert [row.key for row in response.context["by_period"].rows][:2] == [
        "2026-10-26",
        "2026-11-02",
    ]
    assert "group_by=week" in response.context["csv"]["period"]


def test_a_bad_range_is_said_and_the_default_range_shown(manager, sales):
    response = manager.get(
        reverse("admin:reports"), {"date_from": "2026-12-31", "date_to": "2026-01-01"}
    )

    assert response.status_code == 200
    assert response.context["errors"]
    assert "date_from" in response.content.decode()
    assert len(response.context["by_period"].rows) == 30


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_open_the_reports_page(admin_as, role):
    response = admin_as(role).get(reverse("admin:reports"))

    assert response.status_code == 403


def test_the_dashboard_links_managers_to_the_reports(manager, clerk):
    assert 'id="reports-link"' in manager.get(reverse("admin:index")).content.decode()
    assert 'id="reports-link"' not in clerk.get(reverse("admin:index")).content.decode()
