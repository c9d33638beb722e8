"""Events are written in the transaction of the change, one delivery per webhook."""

import json
from decimal import Decimal

import pytest
from django.db import transaction

from catalog.models import Product
from catalog.services import product_update
from integrations.events import event_record
from integrations.models import Delivery, Event
from inventory.exceptions import InsufficientStock
from sales.exceptions import IllegalTransition
from sales.models import Order
from sales.services import order_transition
from tests.factories import OrderFactory, ProductFactory
from tests.helpers import stock_of

from .conftest import confirmed_order, make_webhook

pytestmark = pytest.mark.django_db


def test_each_order_move_records_its_event_with_the_order_as_the_api_shows_it(
    manager_api,
):
    webhook = make_webhook("http://127.0.0.1:9/hook")
    order = confirmed_order(quantity=3)
    order_transition(order_id=order.pk, action="ship")
    order_transition(order_id=order.pk, action="deliver")

    events = list(Event.objects.order_by("id"))
    assert [e.type for e in events] == [
        "order.confirmed",
        "order.shipped",
        "order.delivered",
    ]
    assert {(e.object_type, e.object_id) for e in events} == {("order", order.pk)}
    # The last event's data is what GET /orders/{id}/ answers now.
    api = manager_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert json.loads(events[-1].data) == api
    assert json.loads(events[0].data)["status"] == "confirmed"
    assert json.loads(events[0].data)["lines"] == api["lines"]
    assert webhook.deliveries.count() == 3
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}


def test_cancelling_records_order_cancelled(db):
    make_webhook("http://127.0.0.1:9/hook", events=["order.cancelled"])
    order = confirmed_order()
    order_transition(order_id=order.pk, action="cancel")

    assert list(Event.objects.values_list("type", flat=True)) == ["order.cancelled"]
    assert json.loads(Event.objects.get().data)["status"] == "cancelled"


def test_one_delivery_per_active_subscribed_webhook(db):
    both = make_webhook("http://127.0.0.1:9/a")
    also = make_webhook("http://127.0.0.1:9/b", events=["order.confirmed"])
    make_webhook("http://127.0.0.1:9/c", events=["order.shipped"])
    make_webhook("http://127.0.0.1:9/d", is_active=False)

    confirmed_order()

    event = Event.objects.get()
    assert set(event.deliveries.values_list("webhook", flat=True)) == {both.pk, also.pk}


def test_nothing_is_recorded_without_a_subscriber(db):
    make_webhook("http://127.0.0.1:9/c", events=["order.shipped"])
    confirmed_order()
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_a_refused_change_records_nothing(db):
    make_webhook("http://127.0.0.1:9/hook")
    product = ProductFactory(stock=1)
    order = OrderFactory(lines=[(product, 5)])

    with pytest.raises(InsufficientStock):
        order_transition(order_id=order.pk, action="confirm")
    with pytest.raises(IllegalTransition):
        order_transition(order_id=order.pk, action="ship")

    assert Order.objects.get().status == "draft"
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_a_change_rolled_back_after_its_service_leaves_no_event(db):
    make_webhook("http://127.0.0.1:9/hook")
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 2)])

    with pytest.raises(RuntimeError), transaction.atomic():
        order_transition(order_id=order.pk, action="confirm")
        assert Event.objects.count() == 1  # inside: written with the change
        raise RuntimeError("the caller's transaction fails afterwards")

    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert stock_of(product) == 10


def test_a_price_change_records_product_price_changed(manager_api):
    make_webhook("http://127.0.0.1:9/hook", events=["product.price_changed"])
    product = ProductFactory(unit_price=Decimal("10.00"))

    manager_api.patch(f"/api/v1/products/{product.pk}/", {"name": "Renamed"})
    assert not Event.objects.exists()
    response = manager_api.patch(
        f"/api/v1/products/{product.pk}/", {"unit_price": "10.01"}
    )
    # The same price again is no change.
    product_update(product=Product.objects.get(), unit_price=Decimal("10.01"))

    event = Event.objects.get()
    assert event.type == "product.price_changed"
    assert (event.object_type, event.object_id) == ("product", product.pk)
    assert json.loads(event.data) == response.json()
    assert json.loads(event.data)["unit_price"] == "10.01"


def test_event_record_refuses_to_run_outside_a_transaction(transactional_db):
    make_webhook("http://127.0.0.1:9/hook")
    product = ProductFactory()
    with pytest.raises(RuntimeError, match="transaction"):
        event_record(event_type="product.price_changed", instance=product)


@pytest.mark.parametrize("subscriber", [False, True])
def test_a_confirmation_asks_for_subscribers_as_it_locks_the_order(db, subscriber):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if subscriber:
        make_webhook("http://127.0.0.1:9/hook", events=["order.confirmed"])
    order = OrderFactory(lines=[(ProductFactory(stock=5), 1)])

    with CaptureQueriesContext(connection) as queries:
        order_transition(order_id=order.pk, action="confirm")

    asking = [q["sql"] for q in queries if "integrations_webhook" in q["sql"]]
    assert "FOR NO KEY UPDATE" in asking[0] and "sales_order" in asking[0]
    # With a subscriber, the event's own insert (and its deliveries) follows.
    assert len(asking) == (2 if subscriber else 1)
    assert Event.objects.filter(type="order.confirmed").exists() == subscriber
