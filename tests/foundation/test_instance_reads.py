"""Instances built from hand-written reads are the ORM's instances."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from catalog.models import Product
from catalog.selectors import products_for_sale
from customers.models import Client
from integrations.models import Webhook
from inventory.models import Location
from inventory.services import location_default
from sales import services
from sales.models import Order
from sales.money import Discount
from store_project.db.reads import instance_from_row
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    OrderFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def _fields(instance, model):
    # What is loaded: a deferred field read here would be read from the database.
    loaded = set(instance.__dict__)
    return {
        f.attname: getattr(instance, f.attname)
        for f in model._meta.concrete_fields
        if f.attname in loaded
    }


def test_a_locked_order_equals_a_fresh_read():
    product = ProductFactory(unit_price=Decimal("3.33"), stock=10)
    orders = [
        OrderFactory(),
        OrderFactory(
            lines=[(product, 2)],
            notes="Leave at the door",
            employee=EmployeeFactory(),
            discount=Discount("percent", Decimal("12.50"), "Loyal client"),
        ),
    ]
    confirmed = OrderFactory(lines=[(product, 1)])
    services.order_transition(order_id=confirmed.pk, action="confirm")
    orders.append(confirmed)

    for order in orders:
        fresh = Order.objects.get(pk=order.pk)
        with transaction.atomic():
            locked = services._lock_order(order.pk)
        assert _fields(locked, Order) == _fields(fresh, Order)
        assert len(_fields(locked, Order)) == len(Order._meta.concrete_fields)
        assert locked.event_subscribed is False
        assert (locked._state.adding, locked._state.db) == (False, "default")


def test_a_locked_order_says_whether_a_webhook_awaits_its_event():
    order = OrderFactory()
    Webhook.objects.create(
        url="https://hooks.example.com/store",
        events=["order.confirmed"],
        secret="s" * 32,
    )

    with transaction.atomic():
        confirmed = services._lock_order(order.pk, event="order.confirmed")
        shipped = services._lock_order(order.pk, event="order.shipped")

    assert confirmed.event_subscribed is True
    assert shipped.event_subscribed is False


def test_products_for_sale_are_the_orms_with_the_rest_deferred():
    products = [ProductFactory(unit_price=Decimal("0.10")), ProductFactory()]
    ids = [p.pk for p in products]

    read = products_for_sale(ids=[*ids, ids[0], 10**9])

    assert sorted(read) == sorted(ids)
    for product in Product.objects.filter(pk__in=ids):
        built = read[product.pk]
        assert _fields(built, Product) == {
            name: getattr(product, name)
            for name in ("id", "name", "unit_price", "is_active", "tax_class_id")
        }
        assert built.get_deferred_fields() >= {"description", "sku"}
        assert built.sku == product.sku  # read when first used


def test_the_default_location_is_the_orms():
    assert _fields(location_default(), Location) == _fields(
        Location.objects.get(is_default=True), Location
    )


def test_columns_in_any_order_land_on_their_fields():
    product = ProductFactory(unit_price=Decimal("12.34"), name="Brush")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_price, name, id, 42 FROM catalog_product WHERE id = %s",
            [product.pk],
        )
        row = cursor.fetchone()

    built = instance_from_row(Product, ["unit_price", "name", "id"], row)

    assert (built.pk, built.name, built.unit_price) == (
        product.pk,
        "Brush",
        Decimal("12.34"),
    )


def test_a_field_converted_as_it_is_read_is_refused():
    client = ClientFactory(phone="+1 418 555 0173")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, phone FROM customers_client WHERE id = %s", [client.pk]
        )
        row = cursor.fetchone()

    with pytest.raises(ImproperlyConfigured, match=r"Client\.phone"):
        instance_from_row(Client, ["id", "phone"], row)
    with pytest.raises(ImproperlyConfigured, match="no fields"):
        instance_from_row(Product, ["id", "colour"], (1, "red"))
