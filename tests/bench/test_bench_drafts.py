"""The bench's bulk-inserted drafts hold the same money as order_create's."""

import random
from decimal import Decimal

import pytest

from bench import prepare
from catalog.services import RateSpec, tax_class_create
from sales import services
from sales.models import Order
from sales.seeding import invariant_violations
from tests.factories import ClientFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_bulk_drafts_carry_the_discount_and_taxes_order_create_computes():
    quebec = tax_class_create(
        name="Quebec",
        rates=[
            RateSpec(name="GST", rate=Decimal("0.05")),
            RateSpec(name="QST", rate=Decimal("0.09975")),
        ],
    )
    products = [
        ProductFactory(unit_price=Decimal(f"{n}.{n * 7 % 100:02d}"), tax_class=quebec)
        for n in range(1, 8)
    ]
    clients = [ClientFactory() for _ in range(3)]

    ids = prepare._bulk_drafts(random.Random(1), clients, products, 20, 3)

    assert invariant_violations() == {}
    for order in Order.objects.filter(pk__in=ids).prefetch_related("lines__product"):
        lines = list(order.lines.all())
        same = services.order_create(
            client=order.client,
            lines=[services.LineSpec(line.product, line.quantity) for line in lines],
            discount=prepare.DISCOUNT,
        )
        fields = ("subtotal", "discount_total", "tax_total", "total_amount")
        assert [getattr(order, f) for f in fields] == [getattr(same, f) for f in fields]
        assert order.discount_kind == "percent" and order.tax_total > 0
