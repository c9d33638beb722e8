"""A clerk records a partial return in the back-office, in a real browser."""

import os
from decimal import Decimal

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

from inventory.models import StockMovement
from sales.models import Order, Return
from sales.services import order_transition
from tests.browser.conftest import screenshot
from tests.browser.test_back_office import expect_message, log_in
from tests.conftest import ensure_roles
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.helpers import assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_records_a_partial_return_of_a_delivered_order(new_page):
    ensure_roles()
    UserFactory(username="clerk1", roles=["clerk"])
    pen = ProductFactory(name="Fountain pen", stock=10, unit_price=Decimal("12.50"))
    ink = ProductFactory(name="Ink bottle", stock=6, unit_price=Decimal("4.00"))
    order = OrderFactory(lines=[(pen, 3), (ink, 2)])
    for action in ("confirm", "ship", "deliver"):
        order_transition(order_id=order.pk, action=action)

    page = new_page()
    log_in(page, "clerk1")
    page.goto(f"/admin/sales/order/{order.pk}/change/")
    page.click("#order-return")
    expect(page.locator("h1")).to_contain_text(f"Record a return of order #{order.pk}")
    pen_row = page.locator(f"tr.return-line[data-product='{pen.pk}']")
    ink_row = page.locator(f"tr.return-line[data-product='{ink.pk}']")
    expect(pen_row.locator(".remaining")).to_have_text("3")
    pen_row.locator("input[type=number]").fill("1")
    pen_row.locator("select").select_option("defective")
    ink_row.locator("input[type=number]").fill("2")
    ink_row.locator("input[type=checkbox]").uncheck()
    ink_row.locator("select").select_option("damaged")
    page.fill("#id_note", "Leaking cap")
    screenshot(page, "return-form")
    page.click("input[name=_return]")

    expect_message(page, "success", "recorded: refund 20.50.")
    expect(page.locator("#returns-group")).to_contain_text("written off")
    screenshot(page, "order-with-return")
    ret = Return.objects.get()
    assert ret.note == "Leaking cap"
    assert Order.objects.get(pk=order.pk).refunded_amount == Decimal("20.50")
    assert stock_of(pen) == 10 - 3 + 1
    assert stock_of(ink) == 6 - 2
    assert StockMovement.objects.filter(return_id=ret.pk).count() == 1
    assert_ledger_exact()

    # The pen's page now offers only what is left of it.
    page.click("#order-return")
    expect(pen_row.locator(".remaining")).to_have_text("2")
    expect(ink_row.locator(".remaining")).to_have_text("0")
