"""The back-office in a real browser: a manager orders, the warehouse receives
the goods in two parts, and the product's average cost follows."""

import os
from decimal import Decimal

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip(
        "playwright is not installed (pip install -r requirements-dev.txt)",
        allow_module_level=True,
    )

from catalog.models import Product
from inventory.models import StockMovement
from purchasing.models import PurchaseOrder
from tests.browser.conftest import screenshot
from tests.conftest import ensure_roles
from tests.factories import (
    ProductFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    UserFactory,
)
from tests.helpers import assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-9"  # UserFactory's


def log_in(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def test_a_purchase_order_is_received_in_two_parts(new_page):
    ensure_roles()
    UserFactory(username="manager1", roles=["manager"])
    UserFactory(username="warehouse1", roles=["warehouse"])
    supplier = SupplierFactory(name="Maple Paper Co")
    paper = ProductFactory(name="Letter paper", stock=0, supplier=supplier)
    purchase_order = PurchaseOrderFactory(
        supplier=supplier, lines=[(paper, 10, "2.5000")]
    )
    page_url = f"/admin/purchasing/purchaseorder/{purchase_order.pk}/change/"

    # The manager sends the draft to the supplier.
    page = new_page()
    log_in(page, "manager1")
    page.goto(page_url)
    page.click("#purchase-order-order")
    expect(page.locator("ul.messagelist li.success")).to_contain_text(
        f"Purchase order #{purchase_order.pk} ordered."
    )

    # The warehouse receives 4 of the 10 units...
    page = new_page()
    log_in(page, "warehouse1")
    page.goto(page_url)
    page.click("#purchase-order-receive")
    field = page.locator(f"#id_line_{paper.pk}")
    expect(field).to_have_value("10")
    expect(page.locator("#content-main")).to_contain_text("10 awaited of 10")
    field.fill("4")
    screenshot(page, "purchase-order-receive-first-part")
    page.click("input[name=_receive]")
    expect(page.locator("ul.messagelist li.success")).to_contain_text(
        f"Purchase order #{purchase_order.pk} partially received."
    )
    expect(page.locator(".field-status .readonly")).to_contain_text(
        "Partially received"
    )
    assert stock_of(paper) == 4

    # ... then the other 6, which the form now offers.
    page.click("#purchase-order-receive")
    expect(page.locator("#content-main")).to_contain_text("6 awaited of 10")
    expect(page.locator(f"#id_line_{paper.pk}")).to_have_value("6")
    page.click("input[name=_receive]")
    expect(page.locator("ul.messagelist li.success")).to_contain_text(
        f"Purchase order #{purchase_order.pk} received."
    )
    expect(page.locator(".field-status .readonly")).to_contain_text("Received")
    expect(page.locator("#purchase-order-receive")).to_have_count(0)
    screenshot(page, "purchase-order-received")

    purchase_order.refresh_from_db()
    assert purchase_order.status == "received"
    assert stock_of(paper) == 10
    assert list(
        StockMovement.objects.filter(purchase_order_id=purchase_order.pk)
        .order_by("id")
        .values_list("quantity", "unit_cost")
    ) == [(4, Decimal("2.5000")), (6, Decimal("2.5000"))]
    assert Product.objects.get(pk=paper.pk).average_cost == Decimal("2.5000")
    assert PurchaseOrder.objects.get().lines.get().received_quantity == 10
    assert_ledger_exact()
