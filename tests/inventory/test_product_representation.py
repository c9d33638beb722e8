"""The product serializer's hand-written output equals DRF's generic one."""

import operator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers

from catalog.models import Product
from inventory.selectors import products_with_stock
from inventory.serializers import PRODUCT, ProductSerializer
from store_project.api.representation import Field, Representation
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _generic(product):
    return serializers.ModelSerializer.to_representation(ProductSerializer(), product)


def test_fast_output_is_drfs_output():
    ProductFactory(sku=None, unit_price=Decimal("0.01"), stock=0, reorder_level=3)
    ProductFactory(unit_price=Decimal("99999999.99"), stock=7, description="x\ny")
    ProductFactory(unit_price=Decimal("12.50"), is_active=False)
    products = list(products_with_stock().select_related("category"))

    for product in products:
        assert ProductSerializer(product).data == _generic(product)
    assert ProductSerializer(products, many=True).data == [
        _generic(p) for p in products
    ]


def test_fast_output_follows_the_current_time_zone():
    product = (
        products_with_stock().select_related("category").get(pk=ProductFactory().pk)
    )

    with timezone.override("America/Montreal"):
        assert ProductSerializer(product).data == _generic(product)
        assert not ProductSerializer(product).data["created_at"].endswith("Z")


def test_fast_output_names_every_declared_field():
    product = (
        products_with_stock().select_related("category").get(pk=ProductFactory().pk)
    )

    assert list(ProductSerializer(product).data) == ProductSerializer.Meta.fields


def test_the_lists_plain_rows_give_drfs_output():
    ProductFactory(sku=None, unit_price=Decimal("0.01"), stock=0, reorder_level=3)
    ProductFactory(unit_price=Decimal("12.50"), stock=7, is_active=False)
    ProductFactory(stock=4, reorder_level=4)  # low: at its reorder level
    ProductFactory(stock=5, reorder_level=4)
    products = products_with_stock().select_related("category").order_by("pk")

    with timezone.override("America/Montreal"):
        rows = PRODUCT.write(products.values_list(*PRODUCT.columns))
        assert rows == [_generic(p) for p in products]
    assert [row["is_low_stock"] for row in rows] == [True, False, True, False]
    assert [list(row) for row in rows] == [ProductSerializer.Meta.fields] * 4


@pytest.mark.parametrize("zone", ["UTC", "America/Montreal", "Asia/Kolkata"])
def test_the_lists_timestamps_are_drfs_to_the_microsecond(zone):
    times = [
        datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC),  # no fraction: none written
        datetime(2026, 12, 31, 23, 59, 59, 120000, tzinfo=UTC),  # trailing zeros
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits
    ]
    for moment in times:
        product = ProductFactory()
        Product.objects.filter(pk=product.pk).update(
            created_at=moment, updated_at=moment
        )
    products = products_with_stock().select_related("category").order_by("pk")

    with timezone.override(zone):
        rows = PRODUCT.write(products.values_list(*PRODUCT.columns))
        assert rows == [_generic(p) for p in products]
    if zone == "UTC":
        assert [row["updated_at"] for row in rows] == [
            "2026-03-08T07:00:00Z",
            "2026-12-31T23:59:59.120000Z",
            "0999-01-02T03:04:05.000006Z",
        ]


def test_a_field_derives_only_from_earlier_fields():
    with pytest.raises(ValueError, match="is_low derives from a later field"):
        Representation(
            Field("is_low", derive=(operator.le, "stock", "reorder_level")),
            Field("stock"),
            Field("reorder_level"),
        )
