"""Refunds in the sales report: by the local date of the return, per group."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalog.services import RateSpec, tax_class_create
from sales.models import Order, Return
from sales.returns import ReturnLineSpec, return_create
from sales.services import order_transition
from tests.factories import (
    CategoryFactory,
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/sales/"
TORONTO = ZoneInfo("America/Toronto")
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TORONTO)


def delivered(lines, *, at, **order) -> Order:
    draft = OrderFactory(lines=lines, **order)
    for action in ("confirm", "ship", "deliver"):
        order_transition(order_id=draft.pk, action=action)
    Order.objects.filter(pk=draft.pk).update(confirmed_at=at)
    return Order.objects.get(pk=draft.pk)


def returned(order, product, quantity, *, at) -> Return:
    made = return_create(
        order_id=order.pk,
        lines=[ReturnLineSpec(product.pk, quantity, restock=True, reason="unwanted")],
    )
    Return.objects.filter(pk=made.pk).update(created_at=at)
    return Return.objects.get(pk=made.pk)


@pytest.fixture
def shop():
    quebec = tax_class_create(
        name="Quebec",
        rates=[
            RateSpec(name="GST", rate=Decimal("0.05")),
            RateSpec(name="QST", rate=Decimal("0.09975")),
        ],
    )
    tools, hardware = CategoryFactory(name="Tools"), CategoryFactory(name="Hardware")
    hammer = ProductFactory(
        name="Hammer",
        unit_price=Decimal("19.99"),
        tax_class=quebec,
        category=tools,
        stock=100,
    )
    nails = ProductFactory(
        name="Nails", unit_price=Decimal("0.15"), category=hardware, stock=100
    )
    alice = EmployeeFactory(name="Alice")
    order = delivered(
        [(hammer, 2), (nails, 7)], at=local(2026, 11, 10, 12, 0), employee=alice
    )
    # One hammer back: half of its line's 39.98 + 5.99 paid.
    refund = returned(order, hammer, 1, at=local(2026, 11, 20, 23, 30))
    return {
        "hammer": hammer,
        "nails": nails,
        "tools": tools,
        "alice": alice,
        "order": order,
        "refund": refund,
    }


def report(api, **query):
    response = api.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_refund_counts_on_the_local_date_of_its_return(manager_api, shop):
    assert shop["refund"].refund_amount == Decimal("22.99")

    body = report(manager_api, **NOVEMBER)

    by_day = {row["key"]: row for row in body["rows"]}
    # 23:30 in Toronto on the 20th is the 21st in UTC.
    assert by_day["2026-11-20"] == {
        "key": "2026-11-20",
        "label": "",
        "orders": 0,
        "units": 0,
        "net_sales": "0.00",
        "tax": "0.00",
        "refunds": "22.99",
        "total": "-22.99",
    }
    assert by_day["2026-11-10"]["refunds"] == "0.00"
    assert body["totals"] == {
        "orders": 1,
        "units": 9,  # units sold, not net of returns
        "net_sales": "41.03",
        "tax": "5.99",
        "refunds": "22.99",
        "total": "24.03",
    }


def test_refunds_go_to_the_returned_product_and_its_category(manager_api, shop):
    by_product = report(manager_api, **NOVEMBER, group_by="product")["rows"]
    by_category = report(manager_api, **NOVEMBER, group_by="category")["rows"]

    assert [(r["key"], r["refunds"], r["total"]) for r in by_product] == [
        (shop["hammer"].pk, "22.99", "22.98"),
        (shop["nails"].pk, "0.00", "1.05"),
    ]
    assert [(r["label"], r["refunds"]) for r in by_category] == [
        ("Tools", "22.99"),
        ("Hardware", "0.00"),
    ]


def test_refunds_go_to_the_orders_employee_client_and_location(manager_api, shop):
    for group_by, key in [
        ("employee", shop["alice"].pk),
        ("client", shop["order"].client_id),
        ("location", shop["order"].location_id),
    ]:
        rows = report(manager_api, **NOVEMBER, group_by=group_by)["rows"]
        assert [(r["key"], r["refunds"], r["total"]) for r in rows] == [
            (key, "22.99", "24.03")
        ], group_by


def test_a_group_with_only_refunds_in_the_range_is_listed(manager_api, shop):
    body = report(
        manager_api, date_from="2026-11-15", date_to="2026-11-30", group_by="product"
    )

    assert body["rows"] == [
        {
            "key": shop["hammer"].pk,
            "label": "Hammer",
            "orders": 0,
            "units": 0,
            "net_sales": "0.00",
            "tax": "0.00",
            "refunds": "22.99",
            "total": "-22.99",
        }
    ]
    assert body["totals"]["orders"] == 0


def test_a_refund_outside_the_range_or_location_is_left_out(manager_api, shop):
    north = LocationFactory(code="NORTH")

    october = report(manager_api, date_from="2026-10-01", date_to="2026-10-31")
    elsewhere = report(manager_api, **NOVEMBER, location=north.pk)
    here = report(manager_api, **NOVEMBER, location=shop["order"].location_id)

    assert october["totals"]["refunds"] == "0.00"
    assert elsewhere["totals"]["refunds"] == "0.00"
    assert here["totals"]["refunds"] == "22.99"
