"""The back-office in a real browser: a clerk sells, the warehouse ships.

Headless Chromium against a live server on PostgreSQL; screenshots of the
key pages go to ``artifacts/browser/``.
"""

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

from customers.models import Client
from inventory.models import StockMovement
from inventory.selectors import products_with_stock
from sales.models import Order
from sales.services import order_transition
from tests.browser.conftest import screenshot
from tests.conftest import ensure_roles
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-9"  # UserFactory's


@pytest.fixture
def staff():
    """One login per role."""
    ensure_roles()
    return {
        role: UserFactory(username=f"{role}1", roles=[role])
        for role in ("clerk", "warehouse", "manager")
    }


def log_in(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def choose(page: Page, select_id: str, search: str, option: str) -> None:
    """Pick ``option`` in a Django autocomplete (select2) field."""
    page.click(f"[aria-labelledby='select2-{select_id}-container']")
    page.fill(".select2-container--open .select2-search__field", search)
    page.click(f".select2-results__option:has-text({option!r})")
    expect(page.locator(f"#select2-{select_id}-container")).to_contain_text(option)


def expect_message(page: Page, level: str, text: str) -> None:
    expect(page.locator(f"ul.messagelist li.{level}")).to_contain_text(text)


def readonly(page: Page, field: str):
    return page.locator(f".field-{field} .readonly")


def test_a_clerk_sells_and_the_warehouse_ships(new_page, staff):
    pen = ProductFactory(name="Fountain pen", sku="PEN-1", stock=10, unit_price="12.50")
    ink = ProductFactory(name="Ink bottle", sku="INK-1", stock=6, unit_price="4.00")

    # The clerk creates a client...
    page = new_page()
    log_in(page, "clerk1")
    page.goto("/admin/customers/client/add/")
    page.fill("#id_name", "Ann Lee")
    page.fill("#id_email", "Ann.Lee@Example.com")
    page.fill("#id_phone", "+1 514 555 0101")
    page.click("input[name=_save]")
    expect_message(page, "success", "was added successfully")
    assert Client.objects.get().email == "ann.lee@example.com"

    # ...and an order for them with two lines through the inline.
    page.goto("/admin/sales/order/add/")
    choose(page, "id_client", "ann", "Ann Lee")
    choose(page, "id_lines-0-product", "fountain", "Fountain pen")
    page.fill("#id_lines-0-quantity", "2")
    choose(page, "id_lines-1-product", "INK", "Ink bottle")
    page.fill("#id_lines-1-quantity", "3")
    page.fill("#id_notes", "Gift wrap")
    screenshot(page, "01-clerk-new-order")
    page.click("input[name=_continue]")
    expect_message(page, "success", "was added successfully")
    order = Order.objects.get()
    assert order.total_amount == Decimal("37.00")
    expect(readonly(page, "status")).to_have_text("Draft")
    expect(readonly(page, "total_amount")).to_have_text("37.00")

    # Confirming takes the stock of both products and writes the history.
    page.click("#order-confirm")
    expect_message(page, "success", f"Order #{order.pk} confirmed.")
    expect(readonly(page, "status")).to_have_text("Confirmed")
    history = page.locator("#history-group tbody tr.has_original")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Draft")
    expect(history.first).to_contain_text("Confirmed")
    expect(history.first).to_contain_text("clerk1")
    expect(page.locator("#id_lines-0-quantity")).to_have_count(0)  # read-only now
    screenshot(page, "02-clerk-order-confirmed")
    assert dict(products_with_stock().values_list("sku", "stock")) == {
        "PEN-1": 8,
        "INK-1": 3,
    }

    page.goto(f"/admin/catalog/product/{pen.pk}/change/")
    expect(readonly(page, "stock")).to_have_text("8")
    expect(page.locator("table.stock-movements")).to_contain_text(
        "Sale (order confirmed)"
    )
    page.goto(f"/admin/catalog/product/{ink.pk}/change/")
    expect(readonly(page, "stock")).to_have_text("3")
    expect(page.locator("#adjust-stock-link")).to_have_count(0)  # not a clerk's tool
    screenshot(page, "03-clerk-product-after-sale")

    # The warehouse ships and delivers it.
    page = new_page()
    log_in(page, "warehouse1")
    page.goto(f"/admin/sales/order/{order.pk}/change/")
    expect(page.locator("#order-confirm")).to_have_count(0)
    page.click("#order-ship")
    expect_message(page, "success", f"Order #{order.pk} shipped.")
    expect(readonly(page, "status")).to_have_text("Shipped")
    page.click("#order-deliver")
    expect_message(page, "success", f"Order #{order.pk} delivered.")
    expect(readonly(page, "status")).to_have_text("Delivered")
    expect(page.locator("#history-group tbody tr.has_original")).to_have_count(3)
    screenshot(page, "04-warehouse-order-delivered")
    order.refresh_from_db()
    assert order.status == "delivered"
    assert [c.to_status for c in order.history.all()] == [
        "confirmed",
        "shipped",
        "delivered",
    ]


def test_confirming_with_too_little_stock_is_refused_and_changes_nothing(
    new_page, staff
):
    scarce = ProductFactory(name="Rare nib", sku="NIB-1", stock=1)
    plenty = ProductFactory(name="Paper", sku="PAP-1", stock=50)
    order = OrderFactory(lines=[(plenty, 5), (scarce, 3)])
    movements = StockMovement.objects.count()

    page = new_page()
    log_in(page, "clerk1")
    page.goto(f"/admin/sales/order/{order.pk}/change/")
    page.click("#order-confirm")
    expect_message(page, "error", "Insufficient stock for product 'Rare nib'")
    expect_message(page, "error", "3 requested, 1 available")
    expect(readonly(page, "status")).to_have_text("Draft")
    screenshot(page, "05-clerk-confirm-refused")

    # The same refusal from the order list's action.
    page.goto("/admin/sales/order/")
    page.check(f"input[name=_selected_action][value='{order.pk}']")
    page.select_option("select[name=action]", "confirm_orders")
    page.click("button[name=index]")
    expect_message(page, "error", f"Order #{order.pk}: Insufficient stock")
    screenshot(page, "06-clerk-confirm-action-refused")

    order.refresh_from_db()
    assert order.status == "draft"
    assert not order.history.exists()
    assert dict(products_with_stock().values_list("sku", "stock")) == {
        "NIB-1": 1,
        "PAP-1": 50,
    }
    assert StockMovement.objects.count() == movements


def test_the_warehouse_adjusts_stock_and_the_manager_sees_the_dashboard(
    new_page, staff
):
    ink = ProductFactory(name="Ink bottle", sku="INK-1", stock=2, reorder_level=5)
    paper = ProductFactory(name="Paper", sku="PAP-1", stock=40, reorder_level=5)
    ProductFactory(name="Eraser", sku="ERA-1", stock=3, reorder_level=3)
    # Some sales for the dashboard: two confirmed today, one shipped, a draft.
    for quantity, then in [(2, ()), (5, ("ship",)), (1, None)]:
        order = OrderFactory(lines=[(paper, quantity)])
        if then is not None:
            order_transition(order_id=order.pk, action="confirm")
            for action in then:
                order_transition(order_id=order.pk, action=action)

    page = new_page()
    log_in(page, "warehouse1")
    page.goto("/admin/catalog/product/?low_stock=yes")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)  # ink, eraser
    page.click("text=Ink bottle")
    page.click("#adjust-stock-link")
    page.fill("#id_quantity", "-5")
    page.select_option("#id_reason", "damage")
    page.click("input[name=_adjust]")
    expect(page.locator(".errornote")).to_contain_text("Insufficient stock")
    page.fill("#id_quantity", "20")
    page.select_option("#id_reason", "restock")
    page.fill("#id_note", "Delivery 42")
    screenshot(page, "07-warehouse-adjust-stock")
    page.click("input[name=_adjust]")
    expect_message(page, "success", "now 22")
    expect(readonly(page, "stock")).to_have_text("22")
    screenshot(page, "08-warehouse-product-after-restock")
    ink.refresh_from_db()
    assert stock_of(ink) == 22
    assert ink.movements.first().note == "Delivery 42"

    page = new_page()
    log_in(page, "manager1")
    expect(page.locator("#dashboard-sales")).to_be_visible()
    expect(page.locator("#dashboard-orders")).to_be_visible()
    expect(page.locator("#sales-today")).to_contain_text("70.00")
    expect(page.locator("#sales-today")).to_contain_text("2 orders")
    expect(page.locator("#status-draft .count")).to_have_text("1")
    expect(page.locator("#dashboard-low-stock")).to_contain_text("Eraser")
    screenshot(page, "09-manager-dashboard")


def test_the_warehouse_ships_a_transfer_and_the_store_receives_part_of_it(
    new_page, staff
):
    from inventory.models import Transfer
    from staff.models import Employee
    from tests.factories import LocationFactory, ensure_default_location

    main = ensure_default_location()  # transactional tests flush MAIN
    north = LocationFactory(code="NORTH", name="North store")
    pen = ProductFactory(name="Fountain pen", sku="PEN-1", stock=10)
    receiver = UserFactory(username="north1", roles=["warehouse"])
    Employee.objects.create(name="North clerk", user=receiver).locations.set([north])

    page = new_page()
    log_in(page, "warehouse1")
    page.goto("/admin/inventory/transfer/add/")
    page.select_option("#id_from_location", str(main.pk))
    page.select_option("#id_to_location", str(north.pk))
    choose(page, "id_lines-0-product", "pen", "Fountain pen")
    page.fill("#id_lines-0-quantity", "6")
    page.click("input[name=_continue]")
    page.click("#transfer-ship")
    expect_message(page, "success", "shipped")
    expect(readonly(page, "status")).to_have_text("In transit")
    screenshot(page, "10-warehouse-transfer-shipped")
    assert (stock_of(pen, main), stock_of(pen, north)) == (4, 0)
    transfer = Transfer.objects.get()

    page = new_page()
    log_in(page, "north1")
    page.goto(f"/admin/inventory/transfer/{transfer.pk}/change/")
    page.click("#transfer-receive")
    page.fill(f"#id_line_{pen.pk}", "5")
    screenshot(page, "11-store-receives-a-transfer")
    page.click("input[name=_receive]")
    expect_message(page, "success", "received")
    expect(readonly(page, "status")).to_have_text("Received")
    transfer.refresh_from_db()
    assert transfer.status == "received"
    assert transfer.lines.get().received_quantity == 5
    assert (stock_of(pen, main), stock_of(pen, north)) == (4, 5)
