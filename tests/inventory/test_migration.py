"""The locations migration on a seeded store: back to v1's schema and forward.

A demo store is seeded, the migrations are taken back to before locations
(stock on the product row, a ledger without locations), and forward again.
Both ways every unit is kept: v1's ``stock`` is each product's total, and
after the move every product's stock is at MAIN, equal to its movements there.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inventory.models import Location, StockLevel
from sales.seeding import invariant_violations
from tests.conftest import ensure_roles
from tests.helpers import assert_ledger_exact

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_LOCATIONS = [
    ("catalog", "0006_standard_tax_class"),
    ("sales", "0004_order_money"),
    ("staff", "0004_tax_class_roles"),
    ("inventory", None),
]


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)


def test_the_migration_moves_a_seeded_stores_stock_to_main_and_back():
    ensure_roles()
    from tests.factories import ensure_default_location

    ensure_default_location()
    call_command(
        "seed_demo",
        products=12,
        clients=8,
        employees=3,
        orders=30,
        months=2,
        locations=1,  # v1 knew one stock per product
        suppliers=0,  # nor purchases
        seed=5,
        password="demo-pass-123",
        stdout=None,
    )
    totals = dict(
        _rows(
            "SELECT product_id, SUM(on_hand) FROM inventory_stocklevel "
            "GROUP BY product_id HAVING SUM(on_hand) <> 0"
        )
    )
    movements = _rows("SELECT count(*) FROM catalog_stockmovement")[0][0]
    assert totals and movements

    try:
        _migrate(BEFORE_LOCATIONS)
        # v1's schema: the stock on the product row, equal to its ledger.
        v1_stock = dict(_rows("SELECT id, stock FROM catalog_product"))
        ledger = dict(
            _rows(
                "SELECT product_id, SUM(quantity) FROM catalog_stockmovement "
                "GROUP BY product_id"
            )
        )
        columns = {
            name
            for (name,) in _rows(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'catalog_stockmovement'"
            )
        }
    finally:
        _migrate(None)

    assert {pk: s for pk, s in v1_stock.items() if s} == totals
    assert {pk: s for pk, s in ledger.items() if s} == totals
    assert "location_id" not in columns
    # Forward again: everything at MAIN, the one default location.
    main = Location.objects.get()
    assert (main.code, main.is_default) == ("MAIN", True)
    assert set(StockLevel.objects.values_list("location_id", flat=True)) == {main.pk}
    assert dict(StockLevel.objects.values_list("product_id", "on_hand")) == {
        pk: v1_stock[pk]
        for pk in StockLevel.objects.values_list("product_id", flat=True)
    }
    assert _rows("SELECT count(*) FROM catalog_stockmovement")[0][0] == movements
    for table in ("catalog_stockmovement", "sales_order"):
        elsewhere = _rows(
            f"SELECT count(*) FROM {table} WHERE location_id <> {main.pk}"
        )
        assert elsewhere == [(0,)], table
    assert_ledger_exact()
    assert invariant_violations() == {}
    # The ledger's permissions followed it to its new app.
    from django.contrib.auth.models import Permission

    assert Permission.objects.filter(
        content_type__app_label="inventory", codename="view_stockmovement"
    ).exists()
    assert (
        not Permission.objects.filter(content_type__app_label="catalog")
        .filter(codename__endswith="stockmovement")
        .exists()
    )
