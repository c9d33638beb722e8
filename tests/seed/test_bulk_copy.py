"""The COPY writer on PostgreSQL: the same store as the services, much faster."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from catalog.models import Category, Product
from customers.services import client_create
from inventory.services import product_create
from sales.models import Order
from sales.seeding import Sizes, flush_store, invariant_violations, seed_demo
from sales.services import LineSpec, order_create, order_transition

from .snapshot import store_snapshot

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("roles"),
]

SIZES = Sizes(categories=5, products=25, clients=20, employees=5, orders=150)
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_copy_writes_exactly_the_store_the_services_write():
    seed_demo(sizes=SIZES, seed=5, now=NOW, password="x", bulk=False)
    through_services = store_snapshot()
    flush_store()

    result = seed_demo(sizes=SIZES, seed=5, now=NOW, password="x", bulk=True)

    assert result.method == "copy"
    assert store_snapshot() == through_services


def test_copy_keeps_the_invariants():
    seed_demo(sizes=SIZES, seed=6, bulk=True, password="x")

    assert invariant_violations() == {}
    assert Order.objects.count() == SIZES.orders


def test_indexes_and_foreign_keys_are_back_after_copy():
    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                UNION ALL
                SELECT tablename, indexname, indexdef FROM pg_indexes
                WHERE schemaname = 'public'
                """
            )
            return sorted(cursor.fetchall())

    before = schema()
    seed_demo(sizes=SIZES, seed=7, bulk=True, password="x")

    assert schema() == before


def test_rows_made_after_copy_get_fresh_ids():
    seed_demo(sizes=SIZES, seed=8, bulk=True, password="x")
    product = product_create(
        category=Category.objects.first(),
        name="After the demo",
        unit_price=Decimal("3.00"),
        stock=5,
    )
    client = client_create(name="New Client", email="new.client@mail.example.org")

    order = order_create(client=client, lines=[LineSpec(product=product, quantity=2)])
    order_transition(order_id=order.pk, action="confirm")

    older_products = Product.objects.exclude(pk=product.pk)
    older_orders = Order.objects.exclude(pk=order.pk)
    assert product.pk > max(older_products.values_list("pk", flat=True))
    assert order.pk > max(older_orders.values_list("pk", flat=True))
    assert invariant_violations() == {}


def test_large_demos_pick_copy_by_themselves():
    out = StringIO()
    call_command(
        "seed_demo",
        categories=3,
        products=10,
        clients=10,
        employees=3,
        orders=2000,
        seed=9,
        password="x",
        stdout=out,
    )

    assert "written with COPY" in out.getvalue()
    assert invariant_violations() == {}


def test_flush_after_copy_empties_the_store():
    seed_demo(sizes=SIZES, seed=10, bulk=True, password="x")

    flush_store()

    assert not Order.objects.exists()
    assert not Product.objects.exists()
