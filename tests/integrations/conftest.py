import pytest

from integrations.models import Webhook
from sales.services import order_transition
from tests.factories import OrderFactory, ProductFactory

from .receiver import Receiver

SECRET = "test-secret-0123456789abcdef"
ORDER_EVENTS = [
    "order.confirmed",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def make_webhook(url: str, events=ORDER_EVENTS, **fields) -> Webhook:
    return Webhook.objects.create(url=url, events=list(events), secret=SECRET, **fields)


def confirmed_order(quantity: int = 1, stock: int = 100):
    product = ProductFactory(stock=stock)
    order = OrderFactory(lines=[(product, quantity)])
    return order_transition(order_id=order.pk, action="confirm")


@pytest.fixture
def delivered(db):
    """A webhook and one delivery of an order's confirmation (pending)."""
    webhook = make_webhook("http://127.0.0.1:9/hook")
    confirmed_order()
    return webhook.deliveries.get()
