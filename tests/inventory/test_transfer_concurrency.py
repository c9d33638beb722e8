"""Transfers racing each other and orders, on PostgreSQL, with real locks."""

import pytest

from inventory.models import Location
from inventory.services import (
    TransferLineSpec,
    stock_apply,
    transfer_create,
    transfer_transition,
)
from tests.factories import (
    LocationFactory,
    OrderFactory,
    ProductFactory,
    ensure_default_location,
)
from tests.helpers import assert_ledger_exact, run_concurrently, stock_of

pytestmark = pytest.mark.django_db(transaction=True)


def transfer(source, destination, *lines):
    return transfer_create(
        from_location=source,
        to_location=destination,
        lines=[TransferLineSpec(product, quantity) for product, quantity in lines],
    )


def post(api, url):
    return lambda: api.post(url).status_code


@pytest.fixture
def ends():
    return ensure_default_location(), LocationFactory(code="NORTH")


def test_two_transfers_shipping_the_last_units_one_succeeds(as_role, ends):
    main, north = ends
    product = ProductFactory(stock=3)
    first = transfer(main, north, (product, 3))
    second = transfer(main, north, (product, 2))
    keepers = [as_role("warehouse"), as_role("warehouse")]

    statuses = run_concurrently(
        [
            post(keepers[0], f"/api/v1/transfers/{first.pk}/ship/"),
            post(keepers[1], f"/api/v1/transfers/{second.pk}/ship/"),
        ]
    )

    assert sorted(statuses) == [200, 409]
    assert stock_of(product, main) in (0, 1)
    assert stock_of(product, main) == 3 - (3 if statuses[0] == 200 else 2)
    assert_ledger_exact()


def test_a_transfer_and_an_order_racing_for_the_same_units_never_oversell(
    as_role, ends
):
    main, north = ends
    product = ProductFactory(stock=4)
    moving = transfer(main, north, (product, 3))
    order = OrderFactory(lines=[(product, 3)])
    keeper, clerk = as_role("warehouse"), as_role("clerk")

    statuses = run_concurrently(
        [
            post(keeper, f"/api/v1/transfers/{moving.pk}/ship/"),
            post(clerk, f"/api/v1/orders/{order.pk}/confirm/"),
        ]
    )

    assert sorted(statuses) == [200, 409]
    assert stock_of(product, main) == 1
    assert_ledger_exact()


def test_crossed_transfers_of_two_products_never_deadlock(as_role, ends):
    # A->B ships (p1, p2) out of A while B->A ships (p2, p1) out of B, and
    # each then receives: every lock is taken in (product, location) order.
    main, north = ends
    p1, p2 = ProductFactory(stock=20), ProductFactory(stock=20)
    stock_apply(location_id=north.pk, changes={p1.pk: 20, p2.pk: 20}, reason="restock")
    rounds = 4
    outgoing = [transfer(main, north, (p1, 1), (p2, 1)) for _ in range(rounds)]
    incoming = [transfer(north, main, (p2, 1), (p1, 1)) for _ in range(rounds)]
    keepers = [as_role("warehouse") for _ in range(2 * rounds)]

    def ship_and_receive(api, moved):
        def run():
            shipped = api.post(f"/api/v1/transfers/{moved.pk}/ship/").status_code
            received = api.post(f"/api/v1/transfers/{moved.pk}/receive/").status_code
            return shipped, received

        return run

    results = run_concurrently(
        [
            ship_and_receive(api, moved)
            for api, moved in zip(keepers, outgoing + incoming, strict=True)
        ]
    )

    assert results == [(200, 200)] * (2 * rounds)
    for product in (p1, p2):
        assert (stock_of(product, main), stock_of(product, north)) == (20, 20)
    assert_ledger_exact()


def test_the_ledger_holds_after_a_long_mixed_sequence_at_three_locations(ends):
    import random

    from inventory.services import stock_adjust
    from sales.services import order_transition
    from store_project.exceptions import ApplicationError

    main, north = ends
    south = LocationFactory(code="SOUTH")
    locations = [main, north, south]
    products = [ProductFactory(stock=15) for _ in range(4)]
    rng = random.Random(7)
    for _ in range(120):
        kind = rng.choice(["order", "cancel", "adjust", "transfer", "transfer"])
        product = rng.choice(products)
        here, there = rng.sample(locations, 2)
        try:
            if kind in ("order", "cancel"):
                order = OrderFactory(
                    location=here, lines=[(product, rng.randint(1, 4))]
                )
                order_transition(order_id=order.pk, action="confirm")
                if kind == "cancel":
                    order_transition(order_id=order.pk, action="cancel")
            elif kind == "adjust":
                stock_adjust(
                    product=product,
                    quantity=rng.choice([-3, -1, 2, 5]),
                    reason="correction",
                    location=here,
                )
            else:
                moved = transfer(here, there, (product, rng.randint(1, 5)))
                transfer_transition(transfer_id=moved.pk, action="ship")
                step = rng.choice(["receive", "cancel", "part"])
                if step == "part":
                    transfer_transition(
                        transfer_id=moved.pk, action="receive", received={}
                    )
                else:
                    transfer_transition(transfer_id=moved.pk, action=step)
        except ApplicationError:
            pass  # short there: refused whole, nothing written

    assert_ledger_exact()
    assert Location.objects.count() == 3
