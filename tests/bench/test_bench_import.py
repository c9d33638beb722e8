"""The bench's product import: its file imports, and its row judges the run."""

import pytest

from bench import bench, prepare
from catalog.models import Product
from inventory.imports import products_import
from tests.factories import CategoryFactory, ensure_default_location
from tests.helpers import assert_ledger_exact

pytestmark = pytest.mark.django_db


def test_the_bench_file_imports_new_products_with_their_opening_stock():
    ensure_default_location()
    CategoryFactory(name="Tools")

    result = products_import(data=prepare.import_file_text(rows=60).encode())

    assert (result.created, result.updated, result.unchanged) == (60, 0, 0)
    imported = Product.objects.filter(sku__startswith=prepare.IMPORT_SKU_PREFIX)
    assert imported.count() == 60
    assert "\n" in imported.first().description  # quoted newlines, as exported
    assert_ledger_exact()


def _judged(took, status=200, created=10_000, exact=True):
    return bench.import_row_judged(
        took=took,
        status=status,
        answer=f'{{"created": {created}}}'.encode(),
        rows=10_000,
        check={"products": created, "stock": 120_000, "exact": exact},
    )


def test_the_import_row_passes_under_ten_seconds_with_every_row_written():
    assert _judged(4.2).verdict is True
    assert _judged(10.5).verdict is False
    assert _judged(4.2, status=400, created=None).verdict is False
    assert _judged(4.2, exact=False).verdict is False
