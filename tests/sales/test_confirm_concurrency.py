"""Real concurrency on PostgreSQL: threads, separate connections, real locks."""

import pytest

from tests.factories import OrderFactory, ProductFactory
from tests.helpers import (
    assert_ledger_exact,
    other_session,
    run_concurrently,
    stock_of,
    wait_for_a_lock_wait,
)

pytestmark = pytest.mark.django_db(transaction=True)


def confirm(api, order):
    return lambda: api.post(f"/api/v1/orders/{order.pk}/confirm/").status_code


def test_competing_confirmations_sell_exactly_the_stock_there_is(as_role):
    product = ProductFactory(stock=5)
    orders = [OrderFactory(lines=[(product, 1)]) for _ in range(12)]
    clerks = [as_role("clerk") for _ in orders]

    statuses = run_concurrently(
        [confirm(c, o) for c, o in zip(clerks, orders, strict=True)]
    )

    assert sorted(statuses) == [200] * 5 + [409] * 7
    product.refresh_from_db()
    assert stock_of(product) == 0
    assert_ledger_exact()
    for order, status in zip(orders, statuses, strict=True):
        order.refresh_from_db()
        assert order.status == ("confirmed" if status == 200 else "draft")


def test_multi_unit_confirmations_never_oversell(as_role):
    product = ProductFactory(stock=10)
    orders = [OrderFactory(lines=[(product, q)]) for q in (4, 4, 4, 3, 3, 2)]
    clerks = [as_role("clerk") for _ in orders]

    statuses = run_concurrently(
        [confirm(c, o) for c, o in zip(clerks, orders, strict=True)]
    )

    sold = sum(
        o.lines.get().quantity
        for o, s in zip(orders, statuses, strict=True)
        if s == 200
    )
    product.refresh_from_db()
    assert set(statuses) <= {200, 409}
    assert sold <= 10
    assert stock_of(product) == 10 - sold >= 0
    assert_ledger_exact()


def test_opposite_line_orders_confirm_without_deadlock(as_role):
    first, second = ProductFactory(stock=100), ProductFactory(stock=100)
    orders = []
    for index in range(10):
        pair = [(first, 1), (second, 1)]
        orders.append(OrderFactory(lines=pair if index % 2 else pair[::-1]))
    clerks = [as_role("clerk") for _ in orders]

    statuses = run_concurrently(
        [confirm(c, o) for c, o in zip(clerks, orders, strict=True)]
    )

    assert statuses == [200] * 10
    assert [stock_of(p) for p in (first, second)] == [90, 90]
    assert_ledger_exact()


def test_one_order_confirmed_twice_at_once_takes_stock_once(as_role):
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 3)])
    clerks = [as_role("clerk") for _ in range(4)]

    statuses = run_concurrently([confirm(c, order) for c in clerks])

    assert sorted(statuses) == [200, 409, 409, 409]
    product.refresh_from_db()
    assert stock_of(product) == 7
    assert order.history.count() == 1


def test_adjustments_and_confirmations_together_keep_the_ledger_exact(as_role):
    product = ProductFactory(stock=6)
    orders = [OrderFactory(lines=[(product, 2)]) for _ in range(6)]
    clerks = [as_role("clerk") for _ in orders]
    keepers = [as_role("warehouse") for _ in range(6)]

    def adjust(api, quantity):
        return lambda: (
            api.post(
                f"/api/v1/products/{product.pk}/adjust-stock/",
                {"quantity": quantity, "reason": "correction"},
            ).status_code
        )

    statuses = run_concurrently(
        [confirm(c, o) for c, o in zip(clerks, orders, strict=True)]
        + [adjust(k, q) for k, q in zip(keepers, (3, -1, 2, -2, 1, -1), strict=True)]
    )

    assert set(statuses) <= {200, 409}
    product.refresh_from_db()
    assert stock_of(product) >= 0
    assert_ledger_exact()


def test_a_restock_committed_while_a_confirmation_waits_is_counted(as_role):
    # The confirmation locks `busy` first (lower id) and must wait for it;
    # meanwhile `restocked` goes from 0 to 5 units. The bound is checked
    # against the stock as locked, not as it was when the statement began.
    busy, restocked = ProductFactory(stock=5), ProductFactory(stock=0)
    order = OrderFactory(lines=[(busy, 1), (restocked, 2)])
    clerk, keeper = as_role("clerk"), as_role("warehouse")

    with other_session() as holder:
        holder.execute(
            "SELECT id FROM inventory_stocklevel WHERE product_id = %s FOR UPDATE",
            [busy.pk],
        )

        def restock_then_release():
            wait_for_a_lock_wait(holder)
            status = keeper.post(
                f"/api/v1/products/{restocked.pk}/adjust-stock/",
                {"quantity": 5, "reason": "restock"},
            ).status_code
            holder.rollback()
            return status

        statuses = run_concurrently([confirm(clerk, order), restock_then_release])

    assert statuses == [200, 200]
    assert [stock_of(p) for p in (busy, restocked)] == [4, 3]
    assert_ledger_exact()


def test_confirmations_at_two_locations_of_one_product_never_wait(as_role):
    # The stock level at MAIN is held locked by another session: a
    # confirmation at NORTH of the same product goes through (its row is
    # another one, and the product row is not locked), while one at MAIN waits.
    from inventory.services import stock_apply
    from tests.factories import LocationFactory

    north = LocationFactory(code="NORTH")
    product = ProductFactory(stock=5)  # at MAIN
    stock_apply(location_id=north.pk, changes={product.pk: 5}, reason="restock")
    at_north = OrderFactory(location=north, lines=[(product, 2)])
    at_main = OrderFactory(lines=[(product, 3)])
    clerk = as_role("clerk")

    with other_session() as holder:
        holder.execute(
            "SELECT id FROM inventory_stocklevel "
            "WHERE product_id = %s AND location_id = %s FOR UPDATE",
            [product.pk, at_main.location_id],
        )

        def north_then_release():
            status = confirm(clerk, at_north)()  # would hang if it waited
            wait_for_a_lock_wait(holder)  # MAIN's confirmation is waiting
            holder.rollback()
            return status

        statuses = run_concurrently([north_then_release, confirm(clerk, at_main)])

    assert statuses == [200, 200]
    assert (stock_of(product, north), stock_of(product)) == (3, 5)
    assert_ledger_exact()


def test_many_confirmations_at_two_locations_sell_each_locations_own_stock(
    as_role,
):
    from inventory.services import stock_apply
    from tests.factories import LocationFactory

    north = LocationFactory(code="NORTH")
    product = ProductFactory(stock=4)  # at MAIN
    stock_apply(location_id=north.pk, changes={product.pk: 3}, reason="restock")
    orders = [OrderFactory(lines=[(product, 1)]) for _ in range(6)] + [
        OrderFactory(location=north, lines=[(product, 1)]) for _ in range(6)
    ]
    clerks = [as_role("clerk") for _ in orders]

    statuses = run_concurrently(
        [confirm(c, o) for c, o in zip(clerks, orders, strict=True)]
    )

    assert sorted(statuses[:6]) == [200] * 4 + [409] * 2
    assert sorted(statuses[6:]) == [200] * 3 + [409] * 3
    assert (stock_of(product), stock_of(product, north)) == (0, 0)
    assert_ledger_exact()
