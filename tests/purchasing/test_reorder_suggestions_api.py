"""Reorder suggestions and the drafts they turn into."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import StockLevel
from inventory.services import location_default, stock_level_update
from purchasing.models import PurchaseOrder
from purchasing.selectors import reorder_suggestions
from purchasing.services import purchase_order_transition
from sales.services import order_transition
from tests.factories import (
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
    PurchaseOrderFactory,
    SupplierFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/reorder-suggestions/"
CREATE = f"{URL}create-purchase-orders/"


def sell(product, *quantities, location=None, cancel=False):
    for quantity in quantities:
        order = OrderFactory(lines=[(product, quantity)], location=location)
        order_transition(order_id=order.pk, action="confirm")
        if cancel:
            order_transition(order_id=order.pk, action="cancel")


def receive(product, quantity, cost, **fields):
    purchase_order = PurchaseOrderFactory(lines=[(product, quantity, cost)], **fields)
    purchase_order_transition(purchase_order_id=purchase_order.pk, action="order")
    purchase_order_transition(purchase_order_id=purchase_order.pk, action="receive")
    return purchase_order


def set_reorder_level(product, level, location=None):
    stock_level = StockLevel.objects.get(
        product=product, location=location or location_default()
    )
    stock_level_update(stock_level=stock_level, reorder_level=level)


@pytest.fixture
def shop():
    """A sells 31 units in the window (1.03 a day) with 10 left; B has no
    supplier, no sales, and is under its reorder level of 8."""
    supplier = SupplierFactory(lead_time_days=7)
    a = ProductFactory(name="A", stock=36, supplier=supplier)
    receive(a, 5, "2.5000", supplier=supplier)
    sell(a, 10, 10, 11)
    sell(a, 6, cancel=True)  # confirmed, then cancelled: not a sale
    b = ProductFactory(name="B", stock=3)
    set_reorder_level(b, 8)
    c = ProductFactory(name="C", stock=0)  # nothing here, nothing needed
    return supplier, a, b, c


def test_suggestions_follow_the_contracts_figures(manager_api, shop):
    supplier, a, b, _ = shop
    PurchaseOrderFactory(lines=[(a, 5, "2.5000")], supplier=supplier)  # incoming

    response = manager_api.get(URL, {"location": location_default().pk})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "location": location_default().pk,
        "cover_days": 14,
        "results": [
            {
                "product": a.pk,
                "sku": a.sku,
                "name": "A",
                "supplier": supplier.pk,
                "on_hand": 10,
                "incoming": 5,
                "reorder_level": 0,
                "daily_sales": "1.03",
                # ceil(1.03 x (7 + 14)) = 22; 22 - 10 - 5
                "suggested_quantity": 7,
            },
            {
                "product": b.pk,
                "sku": b.sku,
                "name": "B",
                "supplier": None,
                "on_hand": 3,
                "incoming": 0,
                "reorder_level": 8,
                "daily_sales": "0.00",
                "suggested_quantity": 5,
            },
        ],
    }


def test_cover_days_and_the_location_default(manager_api, shop):
    del shop  # the store it sets up is what is read

    rows = manager_api.get(URL, {"cover_days": 0}).json()["results"]

    # ceil(1.03 x 7) = 8, 8 - 10 < 0: A needs nothing without cover.
    assert [row["name"] for row in rows] == ["B"]


@pytest.mark.parametrize(
    "query",
    [
        {"cover_days": -1},
        {"cover_days": 366},
        {"cover_days": "two"},
        {"location": 999_999},
        {"location": "x"},
    ],
)
def test_bad_queries_are_400(manager_api, query):
    assert_error(manager_api.get(URL, query), 400)


def test_sales_older_than_30_days_do_not_count(shop):
    del shop  # the store it sets up is what is read

    later = reorder_suggestions(
        location=location_default(), now=timezone.now() + timedelta(days=31)
    )

    assert [s.name for s in later] == ["B"]


def test_sales_and_stock_elsewhere_do_not_count(manager_api, shop):
    north = LocationFactory()

    body = manager_api.get(URL, {"location": north.pk}).json()

    assert body["results"] == []


def test_the_query_count_is_constant_whatever_the_number_of_products(manager_api, shop):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert manager_api.get(URL).status_code == 200
        return len(queries)

    before = count()
    for product in ProductFactory.create_batch(15, stock=1):
        set_reorder_level(product, 5)
        sell(product, 1)
    rows = manager_api.get(URL).json()["results"]

    assert len(rows) == 17
    assert count() == before


def test_creating_the_drafts_orders_what_is_suggested_at_the_last_cost(
    manager_api, shop
):
    supplier, a, b, _ = shop
    receive(a, 1, "3.1250", supplier=supplier)  # the latest cost; on hand 11

    response = manager_api.post(CREATE, {"location": location_default().pk})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["skipped"] == [b.pk]
    [draft_id] = body["purchase_orders"]
    draft = manager_api.get(f"/api/v1/purchase-orders/{draft_id}/").json()
    assert draft["status"] == "draft"
    assert draft["supplier"] == supplier.pk
    assert draft["location"] == location_default().pk
    assert [(x["product"], x["quantity"], x["unit_cost"]) for x in draft["lines"]] == [
        (a.pk, 11, "3.1250")
    ]
    assert draft["total_cost"] == "34.38"


def test_a_second_run_creates_nothing(manager_api, shop):
    first = manager_api.post(CREATE, {}, format="json")
    count = PurchaseOrder.objects.count()

    second = manager_api.post(CREATE, {}, format="json")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["purchase_orders"] == []
    assert PurchaseOrder.objects.count() == count


def test_one_draft_per_supplier_and_products_never_bought_are_skipped(manager_api):
    one, two = SupplierFactory(), SupplierFactory()
    bought = []
    for supplier in (one, one, two):
        product = ProductFactory(stock=0, supplier=supplier)
        receive(product, 1, "1.0000", supplier=supplier)
        set_reorder_level(product, 4)
        bought.append(product)
    never = ProductFactory(stock=0, supplier=one)
    StockLevel.objects.create(product=never, location=location_default())
    set_reorder_level(never, 4)

    body = manager_api.post(CREATE, {}, format="json").json()

    assert body["skipped"] == [never.pk]
    drafts = PurchaseOrder.objects.filter(pk__in=body["purchase_orders"])
    assert sorted((d.supplier_id, d.lines.count()) for d in drafts) == [
        (one.pk, 2),
        (two.pk, 1),
    ]
    assert all(
        line.quantity == 3 and line.unit_cost == Decimal(1)
        for d in drafts
        for line in d.lines.all()
    )


def test_creating_at_an_inactive_location_is_400_and_writes_nothing(manager_api):
    closed = LocationFactory(is_active=False)

    response = manager_api.post(CREATE, {"location": closed.pk}, format="json")

    assert_error(response, 400, code="inactive_location", attr="location")
    assert not PurchaseOrder.objects.exists()


def test_a_scoped_user_asks_only_for_their_locations(as_role):
    north, south = LocationFactory(), LocationFactory()
    api = as_role("warehouse")
    EmployeeFactory(user=api.user).locations.set([north])

    assert api.get(URL, {"location": north.pk}).status_code == 200
    assert_error(
        api.get(URL, {"location": south.pk}), 400, code="out_of_scope", attr="location"
    )
    assert_error(api.post(CREATE, {"location": north.pk}, format="json"), 403)


def test_the_written_answer_is_what_the_schemas_serializer_writes(manager_api, shop):
    from purchasing.serializers import ReorderSuggestionsSerializer

    body = manager_api.get(URL).json()
    suggestions = reorder_suggestions(location=location_default())
    expected = ReorderSuggestionsSerializer(
        {
            "location": location_default().pk,
            "cover_days": 14,
            "results": [vars(s) for s in suggestions],
        }
    ).data

    assert body == json.loads(json.dumps(expected))


@pytest.mark.parametrize(
    "units, lead_time, cover_days, daily, suggested",
    [
        (1, 7, 14, "0.03", 1),  # 0.0333 a day: ceil(0.03 x 21) = 1
        (15, 0, 1, "0.50", 1),  # exactly half a unit a day
        (29, 10, 20, "0.97", 30),  # 0.9667: up to 0.97; ceil(29.1) = 30
        (44, 3, 0, "1.47", 5),  # 1.4667: ceil(4.41) = 5
        (89, 30, 365, "2.97", 1174),  # ceil(2.97 x 395) = ceil(1173.15)
        (30, 0, 0, "1.00", 0),  # nothing to cover: only the reorder level
    ],
)
def test_daily_sales_round_half_up_to_cents_and_the_target_rounds_up(
    units, lead_time, cover_days, daily, suggested
):
    supplier = SupplierFactory(lead_time_days=lead_time)
    product = ProductFactory(name="P", stock=units, supplier=supplier)
    sell(product, units)

    found = reorder_suggestions(location=location_default(), cover_days=cover_days)

    if suggested == 0:
        assert found == []
    else:
        (only,) = found
        assert (only.on_hand, only.daily_sales, only.suggested_quantity) == (
            0,
            Decimal(daily),
            suggested,
        )
        assert str(only.daily_sales) == daily
