"""``GET /api/v1/reports/inventory/``: stock on hand, its value, days of cover."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Location
from inventory.services import stock_apply
from sales.models import Order
from sales.services import order_transition
from tests.factories import LocationFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/inventory/"


def sold(product, quantity, *, days_ago: int = 0, location=None, then=()):
    draft = OrderFactory(lines=[(product, quantity)], location=location)
    order_transition(order_id=draft.pk, action="confirm")
    for action in then:
        order_transition(order_id=draft.pk, action=action)
    at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)
    Order.objects.filter(pk=draft.pk).update(confirmed_at=at)


@pytest.fixture
def stock():
    rope = ProductFactory(name="Rope", sku="ROPE", stock=100)
    main = Location.objects.get(is_default=True)
    north = LocationFactory(code="NORTH")
    stock_apply(location_id=north.pk, changes={rope.pk: 20}, reason="restock")
    glue = ProductFactory(name="Glue", sku="GLUE", stock=7)
    tape = ProductFactory(name="Tape", sku=None, stock=0)
    # 45 ropes in the last 30 days (of which 4 at NORTH); older and cancelled
    # sales do not count.
    sold(rope, 30, days_ago=1)
    sold(rope, 11, days_ago=29)
    sold(rope, 4, days_ago=2, location=north)
    sold(rope, 50, days_ago=31)
    sold(glue, 3, days_ago=3, then=("cancel",))
    return {"main": main, "north": north, "rope": rope, "glue": glue, "tape": tape}


def row_of(body, product):
    return next(row for row in body["rows"] if row["product"] == product.pk)


def test_each_product_with_its_stock_value_and_days_of_cover(manager_api, stock):
    response = manager_api.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["currency"] == "CAD"
    assert body["location"] is None
    # 100 + 20 - 30 - 11 - 4 - 50 = 25 ropes; 45 sold in 30 days: 1.50 a day,
    # 25 / 1.5 = 16.7 days.
    assert row_of(body, stock["rope"]) == {
        "product": stock["rope"].pk,
        "sku": "ROPE",
        "name": "Rope",
        "on_hand": 25,
        "average_cost": "0.0000",
        "value": "0.00",
        "daily_sales": "1.50",
        "days_of_cover": "16.7",
    }
    # No sale in 30 days (the cancelled one is none): no days of cover.
    assert row_of(body, stock["glue"])["daily_sales"] == "0.00"
    assert row_of(body, stock["glue"])["days_of_cover"] is None
    assert row_of(body, stock["tape"])["sku"] is None
    assert [row["name"] for row in body["rows"]] == ["Glue", "Rope", "Tape"]
    assert body["totals"] == {"units": 32, "value": "0.00"}


def test_per_location_the_stock_and_the_sales_are_that_locations(manager_api, stock):
    body = manager_api.get(URL, {"location": stock["north"].pk}).json()

    assert body["location"] == stock["north"].pk
    rope = row_of(body, stock["rope"])
    # 20 received, 4 sold there: 4 / 30 = 0.13 a day, 16 / (4/30) = 120.0 days.
    assert (rope["on_hand"], rope["daily_sales"], rope["days_of_cover"]) == (
        16,
        "0.13",
        "120.0",
    )
    assert body["totals"]["units"] == 16


def test_an_inactive_product_with_no_stock_or_sales_is_left_out(manager_api, stock):
    old = ProductFactory(name="Old", stock=0, is_active=False)

    body = manager_api.get(URL).json()

    assert old.pk not in [row["product"] for row in body["rows"]]


def test_the_inventory_report_is_one_statement(manager_api, stock):
    with CaptureQueriesContext(connection) as queries:
        assert manager_api.get(URL).status_code == 200

    assert len(queries) == 2  # the token (user, permissions), the report


@pytest.mark.parametrize("location", ["0", "x", "987654", "-1"])
def test_a_bad_location_is_a_400(manager_api, location):
    assert_error(manager_api.get(URL, {"location": location}), 400, attr="location")


def test_the_inventory_report_as_csv(manager_api, stock):
    response = manager_api.get(URL, {"format": "csv"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="inventory.csv"'
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert [row["name"] for row in rows] == ["Glue", "Rope", "Tape"]
    assert rows[1] == {
        "product": str(stock["rope"].pk),
        "sku": "ROPE",
        "name": "Rope",
        "on_hand": "25",
        "average_cost": "0.0000",
        "value": "0.00",
        "daily_sales": "1.50",
        "days_of_cover": "16.7",
    }
    assert rows[0]["days_of_cover"] == ""


def test_value_is_on_hand_times_average_cost_rounded_half_up():
    from reports.selectors import InventoryRow

    row = InventoryRow(
        product=1,
        sku=None,
        name="x",
        on_hand=3,
        average_cost=Decimal("0.0050"),
        units_sold=0,
    )

    assert row.value == Decimal("0.02")  # 0.015 -> 0.02
    assert row.days_of_cover is None


def test_goods_received_at_cost_are_valued_at_their_average_cost(manager_api):
    from purchasing.services import purchase_order_transition
    from tests.factories import PurchaseOrderFactory

    product = ProductFactory(name="Glue", stock=0)
    for cost in ("0.3333", "0.6667"):
        purchase_order = PurchaseOrderFactory(lines=[(product, 3, Decimal(cost))])
        purchase_order_transition(purchase_order_id=purchase_order.pk, action="order")
        response = manager_api.post(
            f"/api/v1/purchase-orders/{purchase_order.pk}/receive/", {}, format="json"
        )
        assert response.status_code == 200, response.content

    row = row_of(manager_api.get(URL).json(), product)

    # (3 x 0.3333 + 3 x 0.6667) / 6 = 0.5000; 6 x 0.5000 = 3.00
    assert (row["on_hand"], row["average_cost"], row["value"]) == (6, "0.5000", "3.00")
