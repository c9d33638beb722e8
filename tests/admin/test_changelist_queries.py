"""Changelists cost the same number of queries for 10 rows as for 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockMovement
from sales.services import order_transition
from tests.factories import (
    CategoryFactory,
    ClientFactory,
    EmployeeFactory,
    OrderFactory,
    ProductFactory,
    PurchaseOrderFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


def queries_for(client, url: str, rows: int) -> int:
    client.get(url)  # warm up the session and content-type caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    return len(captured)


def make_orders(count: int) -> None:
    employees = EmployeeFactory.create_batch(3)
    product = ProductFactory(stock=10_000)
    for n in range(count):
        order = OrderFactory(employee=employees[n % 3], lines=[(product, 1)])
        if n % 2:
            order_transition(order_id=order.pk, action="confirm")


def make_products(count: int) -> None:
    categories = CategoryFactory.create_batch(3)
    for n in range(count):
        ProductFactory(category=categories[n % 3], stock=n % 4, reorder_level=2)


def make_purchase_orders(count: int) -> None:
    suppliers = SupplierFactory.create_batch(3)
    product = ProductFactory()
    for n in range(count):
        PurchaseOrderFactory(supplier=suppliers[n % 3], lines=[(product, 1, "1.00")])


CASES = [
    ("admin:sales_order_changelist", make_orders),
    ("admin:catalog_product_changelist", make_products),
    ("admin:customers_client_changelist", ClientFactory.create_batch),
    ("admin:catalog_category_changelist", CategoryFactory.create_batch),
    ("admin:staff_employee_changelist", EmployeeFactory.create_batch),
    ("admin:purchasing_purchaseorder_changelist", make_purchase_orders),
    ("admin:catalog_supplier_changelist", SupplierFactory.create_batch),
]


@pytest.mark.parametrize(("url_name", "make"), CASES, ids=[c[0] for c in CASES])
def test_changelist_queries_do_not_grow_with_rows(manager, url_name, make):
    url = reverse(url_name) + "?all="  # "?all" shows every row on one page
    make(10)
    with_10 = queries_for(manager, url, rows=10)
    make(190)
    with_200 = queries_for(manager, url, rows=200)

    assert with_200 == with_10
    assert with_10 <= 12


def test_stock_movement_changelist_queries_do_not_grow(manager):
    url = reverse("admin:inventory_stockmovement_changelist") + "?all="
    make_products(10)
    with_10 = queries_for(manager, url, rows=StockMovement.objects.count())
    make_products(190)
    with_200 = queries_for(manager, url, rows=StockMovement.objects.count())

    assert with_200 == with_10
