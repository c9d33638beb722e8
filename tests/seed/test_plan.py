"""The plan alone, no database: reproducible, plausible, and sound stock."""

from datetime import UTC, datetime

from sales.seeding.plan import ADJUST, CANCEL, CONFIRM, CREATE, Sizes, build_plan
from sales.seeding.progress import ProgressBar

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SIZES = Sizes(categories=6, products=30, clients=25, employees=5, orders=300)


def test_same_seed_same_plan():
    first = build_plan(sizes=SIZES, seed=3, now=NOW)
    second = build_plan(sizes=SIZES, seed=3, now=NOW)

    assert first == second
    assert build_plan(sizes=SIZES, seed=4, now=NOW) != first


def test_stock_never_goes_below_zero_during_the_replay():
    plan = build_plan(sizes=SIZES, seed=5, now=NOW)
    stock = [p.opening_stock for p in plan.products]
    confirmed = set()

    for _, kind, index, detail in plan.events:
        if kind == ADJUST:
            stock[index] += detail[0]
        elif kind == CONFIRM:
            confirmed.add(index)
            for product, quantity in plan.orders[index].lines:
                stock[product] -= quantity
        elif kind == CANCEL and index in confirmed:
            for product, quantity in plan.orders[index].lines:
                stock[product] += quantity
        assert min(stock) >= 0

    assert stock == [p.stock for p in plan.products]


def test_events_are_in_time_order_and_orders_created_first():
    plan = build_plan(sizes=SIZES, seed=6, now=NOW)
    times = [when for when, *_ in plan.events]
    created = set()

    assert times == sorted(times)
    for _, kind, index, _ in plan.events:
        if kind == CREATE:
            created.add(index)
        elif kind != ADJUST:
            assert index in created


def test_every_status_appears_even_in_a_tiny_demo():
    plan = build_plan(sizes=Sizes(orders=5), seed=7, now=NOW)

    assert set(plan.status_counts().values()) == {1}


def test_contacts_look_real_but_cannot_reach_anyone():
    plan = build_plan(sizes=SIZES, seed=8, now=NOW)
    emails = [c.email for c in plan.clients]

    assert len(set(emails)) == len(emails)
    assert all(e.isascii() and e.endswith(".example") for e in emails)
    assert all("-555-01" in c.phone for c in plan.clients if c.phone)
    assert all("\n" in c.address for c in plan.clients)
    assert len({p.sku for p in plan.products}) == len(plan.products)


def test_progress_bar_writes_one_line_off_a_terminal():
    written = []
    with ProgressBar("orders", 4, write=written.append) as bar:
        for _ in range(4):
            bar.advance()

    text = "".join(written)
    assert text.count("\n") == 1
    assert "100% 4/4" in text
    assert "\r" not in text


def test_progress_bar_redraws_in_place_on_a_terminal():
    written = []
    with ProgressBar("orders", 2, write=written.append, live=True) as bar:
        bar.advance(2)

    assert "".join(written).startswith("\r")
