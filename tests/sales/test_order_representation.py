"""The order serializer's hand-written output equals DRF's generic one."""

from decimal import Decimal

import pytest
from django.db.models import Prefetch
from django.utils import timezone
from rest_framework import serializers

from catalog.services import RateSpec, tax_class_create
from sales import services
from sales.models import Order, OrderLine
from sales.money import Discount
from sales.serializers import (
    ORDER,
    OrderLineSerializer,
    OrderSerializer,
    order_rows,
)
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    OrderFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def _generic(order):
    data = serializers.ModelSerializer.to_representation(OrderSerializer(), order)
    data["lines"] = [
        serializers.ModelSerializer.to_representation(OrderLineSerializer(), line)
        for line in order.lines.all()
    ]
    return data


def _orders():
    cheap = ProductFactory(unit_price=Decimal("0.10"), stock=100)
    dear = ProductFactory(unit_price=Decimal("12345.67"), stock=100)
    OrderFactory()  # no lines
    OrderFactory(
        lines=[(cheap, 3), (dear, 2)],
        notes="Leave at the door",
        employee=EmployeeFactory(),
    )
    confirmed = OrderFactory(lines=[(dear, 1)])
    services.order_transition(order_id=confirmed.pk, action="confirm")
    cancelled = OrderFactory(lines=[(cheap, 1)])
    services.order_transition(order_id=cancelled.pk, action="cancel")
    quebec = tax_class_create(
        name="Quebec",
        rates=[
            RateSpec(name="GST", rate=Decimal("0.05")),
            RateSpec(name="QST", rate=Decimal("0.09975")),
        ],
    )
    taxed = ProductFactory(unit_price=Decimal("3.33"), stock=100, tax_class=quebec)
    OrderFactory(
        lines=[(taxed, 3), (cheap, 2)],
        discount=Discount("percent", Decimal("12.50"), "Loyal client"),
    )
    discounted = OrderFactory(
        lines=[(taxed, 1)], discount=Discount("amount", Decimal("1.00"))
    )
    services.order_transition(order_id=discounted.pk, action="confirm")
    lines = OrderLine.objects.select_related("product")
    return list(Order.objects.prefetch_related(Prefetch("lines", queryset=lines)))


def test_fast_output_is_drfs_output():
    orders = _orders()

    for order in orders:
        assert OrderSerializer(order).data == _generic(order)
    assert OrderSerializer(orders, many=True).data == [_generic(o) for o in orders]


def test_a_list_without_prefetched_lines_reads_them_in_one_query(
    django_assert_num_queries,
):
    prefetched = _orders()
    plain = list(Order.objects.all())

    with django_assert_num_queries(1):
        data = OrderSerializer(plain, many=True).data

    assert data == [_generic(o) for o in prefetched]
    with django_assert_num_queries(0):
        OrderSerializer(prefetched, many=True).data  # noqa: B018
    assert OrderSerializer(Order.objects.none(), many=True).data == []
    with django_assert_num_queries(1):
        one = OrderSerializer(plain[1]).data
    assert one == _generic(prefetched[1])


def test_fast_output_follows_the_current_time_zone():
    orders = _orders()

    with timezone.override("Asia/Kolkata"):
        for order in orders:
            assert OrderSerializer(order).data == _generic(order)


def test_fast_output_names_every_declared_field():
    order = _orders()[1]
    data = OrderSerializer(order).data

    assert list(data) == OrderSerializer.Meta.fields
    assert list(data["lines"][0]) == OrderLineSerializer.Meta.fields


def test_write_answers_equal_a_fresh_read(as_role):
    api = as_role("manager")
    product = ProductFactory(unit_price=Decimal("3.30"), stock=5)
    client = ClientFactory()
    body = {"client": client.pk, "lines": [{"product": product.pk, "quantity": 2}]}

    created = api.post("/api/v1/orders/", body, format="json")
    url = f"/api/v1/orders/{created.json()['id']}/"
    assert created.status_code == 201
    assert created.json() == api.get(url).json()
    body["notes"] = "Gift wrap"
    updated = api.patch(url, body, format="json")
    assert updated.json() == api.get(url).json()
    for action in ("confirm", "ship", "deliver"):
        answer = api.post(f"{url}{action}/")
        assert answer.status_code == 200
        assert answer.json() == api.get(url).json()


def test_the_lists_plain_rows_give_drfs_output():
    orders = sorted(_orders(), key=lambda order: order.pk)
    rows = Order.objects.order_by("pk").values_list(*ORDER.columns)

    with timezone.override("America/Montreal"):
        assert order_rows(list(rows)) == [_generic(o) for o in orders]
