"""Two seeding runs at once (two `make run`s) seed one demo, not two."""

import threading
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from sales.models import Order
from sales.seeding import Sizes, invariant_violations, seed_demo
from sales.seeding.clock import simulated_clock
from tests.conftest import ensure_roles
from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = Sizes(categories=3, products=8, clients=6, employees=3, orders=15)


def test_concurrent_runs_seed_the_demo_once():
    ensure_roles()

    results = run_concurrently(
        [lambda seed=seed: seed_demo(sizes=SIZES, seed=seed) for seed in (1, 2, 3)]
    )

    assert sorted(r.seeded for r in results) == [False, False, True]
    assert Order.objects.count() == SIZES.orders
    assert invariant_violations() == {}


def test_the_simulated_clock_is_the_seeding_threads_own():
    past = datetime(2020, 1, 1, tzinfo=UTC)
    seen_elsewhere = []
    with simulated_clock() as clock:
        clock.set(past)
        other = threading.Thread(target=lambda: seen_elsewhere.append(timezone.now()))
        other.start()
        other.join()
        assert timezone.now() == past

    assert seen_elsewhere[0] > past
    assert timezone.now() > past
