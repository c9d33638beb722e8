"""The order a transition locks is the order the ORM reads."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from integrations.models import Webhook
from sales import services
from sales.models import Order
from sales.money import Discount
from tests.factories import EmployeeFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_no_field_of_an_order_needs_a_database_converter():
    # The lock builds the order from its row's values as they come (see
    # sales.services._LOCK_ORDER): a field with a converter (a JSON or an
    # encrypted column, say) must be read through Order.objects.raw() instead.
    for field in Order._meta.concrete_fields:
        column = field.get_col(Order._meta.db_table)
        converters = connection.ops.get_db_converters(column)
        converters += column.get_db_converters(connection)
        assert converters == [], field.name


def test_the_locked_order_equals_a_fresh_read():
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
    names = [field.attname for field in Order._meta.concrete_fields]

    for order in orders:
        fresh = Order.objects.get(pk=order.pk)
        with transaction.atomic():
            locked = services._lock_order(order.pk)
        assert [getattr(locked, name) for name in names] == [
            getattr(fresh, name) for name in names
        ]
        assert locked.event_subscribed is False
        assert not locked._state.adding
        assert locked._state.db == "default"


def test_the_locked_order_says_whether_a_webhook_awaits_its_event():
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
