"""Returns racing each other and the stock, on PostgreSQL with real threads."""

import pytest

from sales.models import Order, Return
from sales.services import order_transition
from tests.factories import OrderFactory, ProductFactory
from tests.helpers import assert_ledger_exact, run_concurrently, stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def _delivered(lines):
    order = OrderFactory(lines=lines)
    for action in ("confirm", "ship", "deliver"):
        order_transition(order_id=order.pk, action=action)
    return order


def _return(api, order, product, quantity=1, restock=True):
    body = {
        "lines": [
            {
                "product": product.pk,
                "quantity": quantity,
                "restock": restock,
                "reason": "unwanted",
            }
        ]
    }
    url = f"/api/v1/orders/{order.pk}/returns/"
    return lambda: api.post(url, body, format="json").status_code


def test_two_returns_of_the_last_unit_record_exactly_one(as_role):
    mug = ProductFactory(stock=5)
    order = _delivered([(mug, 2)])
    clerk = as_role("clerk")
    assert _return(clerk, order, mug)() == 201
    clerks = [as_role("clerk") for _ in range(4)]

    statuses = run_concurrently([_return(c, order, mug) for c in clerks])

    assert sorted(statuses) == [201, 409, 409, 409]
    order = Order.objects.get(pk=order.pk)
    assert order.refunded_amount == order.total_amount
    assert order.lines.get().returned_quantity == 2
    assert Return.objects.filter(order=order).count() == 2
    assert stock_of(mug) == 5
    assert_ledger_exact()


def test_a_return_and_an_adjustment_of_one_product_both_apply(as_role):
    mug = ProductFactory(stock=10)
    orders = [_delivered([(mug, 1)]) for _ in range(4)]
    clerks = [as_role("clerk") for _ in orders]
    keepers = [as_role("warehouse") for _ in orders]

    def adjust(api, quantity):
        url = f"/api/v1/products/{mug.pk}/adjust-stock/"
        body = {"quantity": quantity, "reason": "restock"}
        return lambda: api.post(url, body, format="json").status_code

    statuses = run_concurrently(
        [_return(c, o, mug) for c, o in zip(clerks, orders, strict=True)]
        + [adjust(k, q) for k, q in zip(keepers, (3, -2, 5, -1), strict=True)]
    )

    assert statuses == [201] * 4 + [200] * 4
    assert stock_of(mug) == 10 - 4 + 4 + 3 - 2 + 5 - 1
    assert_ledger_exact()
