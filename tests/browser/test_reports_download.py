"""A manager opens the Reports page in a real browser and downloads a CSV."""

import csv
import datetime
import io
import os
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip(
        "playwright is not installed (pip install -r requirements-dev.txt)",
        allow_module_level=True,
    )

from reports.selectors import store_today
from sales.models import Order
from sales.services import order_transition
from tests.browser.conftest import screenshot
from tests.browser.test_back_office import log_in
from tests.conftest import ensure_roles
from tests.factories import CategoryFactory, OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_downloads_the_sales_by_category_as_csv(new_page):
    ensure_roles()
    UserFactory(username="boss1", roles=["manager"])
    lamps = CategoryFactory(name="Lamps")
    lamp = ProductFactory(
        name="Desk lamp", unit_price=Decimal("24.95"), category=lamps, stock=10
    )
    draft = OrderFactory(lines=[(lamp, 3)])
    order_transition(order_id=draft.pk, action="confirm")
    today = store_today()
    Order.objects.filter(pk=draft.pk).update(
        confirmed_at=datetime.datetime.combine(
            today, datetime.time(11), tzinfo=ZoneInfo("America/Toronto")
        )
    )

    page = new_page()
    log_in(page, "boss1")
    page.click("#reports-link")
    expect(page.locator("#report-by-category")).to_contain_text("Lamps")
    expect(page.locator("#period-totals")).to_contain_text("74.85")
    assert page.locator("#report-by-period svg.chart rect").count() == 30
    screenshot(page, "reports")

    with page.expect_download() as download_info:
        page.click("#download-category")
    download = download_info.value

    assert download.suggested_filename == (
        f"sales-by-category-{(today - datetime.timedelta(days=29)).isoformat()}"
        f"-{today.isoformat()}.csv"
    )
    body = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows == [
        ["key", "label", "orders", "units", "net_sales", "tax", "refunds", "total"],
        [str(lamps.pk), "Lamps", "1", "3", "74.85", "0.00", "0.00", "74.85"],
    ]
