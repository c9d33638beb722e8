"""``rows_update`` writes what saving each instance writes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Product, TaxClass
from customers.models import Client
from store_project.db.updates import rows_update
from tests.factories import CategoryFactory, ClientFactory, ProductFactory

pytestmark = pytest.mark.django_db
FIELDS = [
    "name",
    "description",
    "unit_price",
    "reorder_level",
    "is_active",
    "category",
    "tax_class",
    "updated_at",
]


def change(product: Product, category, tax_class, now) -> None:
    product.name = "Renamed"
    product.description = "Line one\nline two"
    product.unit_price = Decimal("1234.50")
    product.reorder_level = 7
    product.is_active = False
    product.category = category
    product.tax_class = tax_class
    product.updated_at = now


def test_products_written_by_rows_update_equal_products_saved_one_by_one():
    saved, bulk, untouched = ProductFactory(), ProductFactory(), ProductFactory()
    category, tax_class = CategoryFactory(), TaxClass.objects.create(name="R")
    now = timezone.now()
    change(saved, category, tax_class, now)
    saved.save(update_fields=FIELDS)
    change(bulk, category, tax_class, now)

    assert rows_update(instances=[bulk], fields=FIELDS, batch_size=1) == 1

    rows = {p["id"]: p for p in Product.objects.values()}
    # save() stamps its own time on an auto_now field; rows_update the one set.
    assert rows[bulk.pk]["updated_at"] == now
    for row in (rows[saved.pk], rows[bulk.pk]):
        for name in ("id", "sku", "created_at", "updated_at"):
            row.pop(name)
    assert rows[bulk.pk] == rows[saved.pk]
    assert rows[untouched.pk]["name"] != "Renamed"


def test_encrypted_fields_written_by_rows_update_are_encrypted():
    client = ClientFactory()
    client.phone, client.address = "+1 514 555 0123", "2 Rue Neuve"

    rows_update(instances=[client], fields=["phone", "address"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, address FROM customers_client")
        phone, address = cursor.fetchone()
    assert phone.startswith("gAAAAA") and address.startswith("gAAAAA")
    stored = Client.objects.get()
    assert (stored.phone, stored.address) == ("+1 514 555 0123", "2 Rue Neuve")
