"""Receipts racing each other on PostgreSQL, with real locks and threads."""

from decimal import Decimal

import pytest

from catalog.models import Product
from inventory.models import StockMovement
from purchasing.models import PurchaseOrderLine
from purchasing.services import average_cost, purchase_order_transition
from tests.factories import LocationFactory, ProductFactory, PurchaseOrderFactory
from tests.helpers import assert_ledger_exact, run_concurrently, stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def ordered(lines, **fields):
    purchase_order = PurchaseOrderFactory(lines=lines, **fields)
    purchase_order_transition(purchase_order_id=purchase_order.pk, action="order")
    return purchase_order


def receive(api, purchase_order, product, quantity):
    url = f"/api/v1/purchase-orders/{purchase_order.pk}/receive/"
    body = {"lines": [{"product": product.pk, "quantity": quantity}]}
    return lambda: api.post(url, body, format="json").status_code


def test_two_receipts_of_a_lines_last_units_one_succeeds(as_role):
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "2.0000")])
    purchase_order_transition(
        purchase_order_id=purchase_order.pk, action="receive", received={product.pk: 2}
    )
    keepers = [as_role("warehouse"), as_role("warehouse")]

    statuses = run_concurrently(
        [
            receive(keepers[0], purchase_order, product, 3),
            receive(keepers[1], purchase_order, product, 3),
        ]
    )

    assert sorted(statuses) == [200, 409]
    assert stock_of(product) == 5
    line = PurchaseOrderLine.objects.get()
    assert line.received_quantity == 5
    assert line.purchase_order.status == "received"
    assert StockMovement.objects.filter(reason="purchase").count() == 2
    assert_ledger_exact()


def test_two_receipts_of_one_product_apply_the_average_in_commit_order(as_role):
    north = LocationFactory()
    product = ProductFactory(stock=0)
    first = ordered([(product, 10, "1.0000")])
    second = ordered([(product, 30, "3.3333")], location=north)
    setup = ordered([(product, 4, "7.0000")])
    purchase_order_transition(purchase_order_id=setup.pk, action="receive")
    keepers = [as_role("warehouse"), as_role("warehouse")]

    statuses = run_concurrently(
        [
            receive(keepers[0], first, product, 10),
            receive(keepers[1], second, product, 30),
        ]
    )

    assert statuses == [200, 200]
    # The movements' ids follow the commits: the second waited for the
    # first's product lock before writing its own.
    receipts = list(
        StockMovement.objects.filter(purchase_order_id__in=[first.pk, second.pk])
        .order_by("id")
        .values_list("quantity", "unit_cost")
    )
    stock, expected = 4, Decimal("7.0000")
    for quantity, cost in receipts:
        expected = average_cost(
            stock=stock, average=expected, quantity=quantity, unit_cost=cost
        )
        stock += quantity
    product.refresh_from_db()
    assert product.average_cost == expected
    assert stock_of(product) == 44
    assert Product.objects.get(pk=product.pk).average_cost != Decimal("7.0000")
    assert_ledger_exact()
