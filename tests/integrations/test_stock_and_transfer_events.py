"""``stock.low`` when a stock level reaches its reorder level; ``transfer.received``."""

import json

import pytest

from integrations.models import Event
from inventory.models import Location, StockLevel
from inventory.services import stock_adjust
from sales.services import order_transition
from tests.factories import LocationFactory, OrderFactory, ProductFactory

from .conftest import make_webhook

pytestmark = pytest.mark.django_db


def watch(api, product, level: int) -> StockLevel:
    """The product's stock level at MAIN, given its own reorder level (API)."""
    stock_level = StockLevel.objects.get(product=product, location__code="MAIN")
    response = api.patch(
        f"/api/v1/stock-levels/{stock_level.pk}/", {"reorder_level": level}
    )
    assert response.status_code == 200, response.content
    return stock_level


def low_events():
    return [json.loads(e.data) for e in Event.objects.filter(type="stock.low")]


def test_a_level_reaching_its_reorder_level_records_stock_low_once(manager_api):
    make_webhook("http://127.0.0.1:9/hook", events=["stock.low"])
    pen = ProductFactory(stock=7)
    main = Location.objects.get(code="MAIN")
    level = watch(manager_api, pen, 5)

    stock_adjust(product=pen, quantity=-1, reason="damage")  # 6: not low yet
    assert low_events() == []
    order = OrderFactory(lines=[(pen, 2)])
    order_transition(order_id=order.pk, action="confirm")  # 4: low
    stock_adjust(product=pen, quantity=-1, reason="damage")  # 3: already low

    (event,) = Event.objects.filter(type="stock.low")
    assert (event.object_type, event.object_id) == ("stock_level", level.pk)
    data = json.loads(event.data)
    assert (data["product"], data["location"]) == (pen.pk, main.pk)
    assert (data["on_hand"], data["reorder_level"], data["is_low_stock"]) == (
        4,
        5,
        True,
    )
    assert data["sku"] == pen.sku

    stock_adjust(product=pen, quantity=10, reason="restock")  # 13: fine again
    stock_adjust(product=pen, quantity=-8, reason="damage")  # 5: low again
    assert [e["on_hand"] for e in low_events()] == [4, 5]
    api = manager_api.get(f"/api/v1/stock-levels/{level.pk}/").json()
    assert low_events()[-1] == api


def test_no_stock_low_without_a_reorder_level_or_a_subscriber(manager_api):
    unset = ProductFactory(stock=3, reorder_level=5)  # the product's, not the level's
    make_webhook("http://127.0.0.1:9/hook", events=["order.confirmed"])
    watched = ProductFactory(stock=6)
    watch(manager_api, watched, 5)

    stock_adjust(product=unset, quantity=-3, reason="damage")  # 0, no level set
    stock_adjust(product=watched, quantity=-2, reason="damage")  # low, unsubscribed

    assert not Event.objects.filter(type="stock.low").exists()


def test_receiving_a_transfer_records_transfer_received(as_role):
    make_webhook("http://127.0.0.1:9/hook", events=["transfer.received"])
    keeper = as_role("warehouse")
    main, north = Location.objects.get(code="MAIN"), LocationFactory(code="NORTH")
    pen = ProductFactory(stock=10)
    created = keeper.post(
        "/api/v1/transfers/",
        {
            "from_location": main.pk,
            "to_location": north.pk,
            "lines": [{"product": pen.pk, "quantity": 4}],
        },
        format="json",
    ).json()
    url = f"/api/v1/transfers/{created['id']}/"
    keeper.post(f"{url}ship/")
    assert not Event.objects.exists()

    received = keeper.post(f"{url}receive/", {"lines": []}, format="json")

    assert received.status_code == 200, received.content
    (event,) = Event.objects.all()
    assert (event.type, event.object_type) == ("transfer.received", "transfer")
    assert json.loads(event.data) == keeper.get(url).json()
    assert json.loads(event.data)["status"] == "received"
