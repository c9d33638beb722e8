"""The worker against real HTTP receivers on 127.0.0.1."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from integrations.models import MAX_ATTEMPTS, Delivery, DeliveryStatus, Event
from integrations.worker import Worker, backoff
from sales.services import order_transition
from tests.helpers import free_port, run_concurrently

from .conftest import SECRET, confirmed_order, make_webhook

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(**options) -> int:
    worker = Worker(**options)
    try:
        return worker.run(stop=threading.Event(), once=True)
    finally:
        worker.close()


def make_due(delivery: Delivery) -> None:
    """As if the retry's delay had passed."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_2xx_delivers_the_event_signed_with_the_body_as_the_api_shows_it(
    receiver, manager_api
):
    webhook = make_webhook(receiver.url)
    order = confirmed_order(quantity=2)

    assert deliver() == 1

    (request,) = receiver.received
    event = Event.objects.get()
    assert request.path == "/hook"
    assert request.headers["X-Store-Event"] == "order.confirmed"
    assert request.headers["X-Store-Event-Id"] == str(event.pk)
    assert request.headers["Content-Type"] == "application/json"
    assert request.signature_valid(SECRET)
    assert not request.signature_valid("another-secret-entirely")
    t = int(
        dict(p.split("=") for p in request.headers["X-Store-Signature"].split(","))["t"]
    )
    assert abs(t - time.time()) < 60
    body = request.json
    assert list(body) == ["id", "type", "created_at", "data"]
    assert body["id"] == event.pk and body["type"] == "order.confirmed"
    assert body["created_at"].endswith("Z")
    assert body["data"] == manager_api.get(f"/api/v1/orders/{order.pk}/").json()

    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.last_error == "" and delivery.last_response == "ok"
    assert delivery.last_duration_ms is not None
    assert deliver() == 0  # nothing is sent twice
    assert len(receiver.received) == 1


def test_a_500_is_retried_later_with_a_growing_delay_then_delivered(receiver):
    answers = iter([(500, b"boom", 0.0), (503, b"", 0.0), (204, b"", 0.0)])
    receiver.answer = lambda request: next(answers)
    webhook = make_webhook(receiver.url)
    confirmed_order()

    before = timezone.now()
    deliver()
    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code == 500 and "500" in delivery.last_error
    assert delivery.last_response == "boom"
    first_wait = delivery.next_attempt_at - before
    assert timedelta(seconds=4) <= first_wait <= timedelta(seconds=11)
    assert deliver() == 0  # not due yet

    make_due(delivery)
    before = timezone.now()
    deliver()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 503
    assert (
        timedelta(seconds=9)
        <= delivery.next_attempt_at - before
        <= timedelta(seconds=21)
    )

    make_due(delivery)
    deliver()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert delivery.last_status_code == 204 and delivery.last_error == ""
    assert len(receiver.received) == 3
    assert len({r.headers["X-Store-Event-Id"] for r in receiver.received}) == 1


def test_backoff_doubles_with_jitter_up_to_its_ceiling():
    for attempts in range(1, MAX_ATTEMPTS):
        delays = {backoff(attempts).total_seconds() for _ in range(20)}
        nominal = min(3600, 10 * 2 ** (attempts - 1))
        assert all(nominal / 2 <= d <= nominal for d in delays)
        assert len(delays) > 1  # jittered
    with override_settings(WEBHOOK_RETRY_MAX_SECONDS=60):
        assert backoff(7).total_seconds() <= 60


def test_a_receiver_that_takes_too_long_is_a_failed_attempt_then_retried(receiver):
    receiver.answer = lambda request: (200, b"late", 2.0)
    webhook = make_webhook(receiver.url)
    confirmed_order()

    started = time.monotonic()
    deliver(timeout=0.5)

    assert time.monotonic() - started < 2.0
    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "No answer within 0.5 s" in delivery.last_error

    receiver.answer = lambda request: (200, b"", 0.0)
    make_due(delivery)
    deliver(timeout=0.5)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert delivery.last_error == ""


def test_a_refused_connection_is_a_failed_attempt(db):
    webhook = make_webhook(f"http://127.0.0.1:{free_port()}/hook")
    confirmed_order()

    deliver()

    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "ConnectError" in delivery.last_error


def test_after_eight_failed_attempts_the_delivery_is_failed(receiver):
    receiver.answer = lambda request: (500, b"", 0.0)
    webhook = make_webhook(receiver.url)
    confirmed_order()
    delivery = webhook.deliveries.get()

    for _ in range(MAX_ATTEMPTS):
        make_due(delivery)
        deliver()
    delivery.refresh_from_db()

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS and delivery.next_attempt_at is None
    assert len(receiver.received) == MAX_ATTEMPTS
    assert deliver() == 0


def test_redirects_are_not_followed(receiver):
    receiver.answer = lambda request: (302, b"", 0.0)
    webhook = make_webhook(receiver.url)
    confirmed_order()

    deliver()

    assert len(receiver.received) == 1
    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302


def test_only_the_start_of_an_answer_is_kept(receiver):
    receiver.answer = lambda request: (200, b"\x00" + b"x" * 100_000, 0.0)
    webhook = make_webhook(receiver.url)
    confirmed_order()

    deliver()

    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.last_response == "x" * 500  # the NUL dropped


def test_events_of_one_object_arrive_in_the_order_they_happened(receiver):
    failing = {"on": True}
    receiver.answer = lambda request: (500 if failing["on"] else 200, b"", 0.0)
    webhook = make_webhook(receiver.url)
    order = confirmed_order()
    order_transition(order_id=order.pk, action="ship")
    order_transition(order_id=order.pk, action="deliver")
    other = confirmed_order()

    deliver()
    # The first event of each order was tried; the order's next ones wait
    # behind its failed first, though they are due.
    assert sorted(r.json["data"]["id"] for r in receiver.received) == sorted(
        [order.pk, other.pk]
    )
    assert [r.json["type"] for r in receiver.received] == ["order.confirmed"] * 2

    failing["on"] = False
    for delivery in webhook.deliveries.filter(status=DeliveryStatus.PENDING):
        make_due(delivery)
    deliver()

    of_order = [
        r.json["type"] for r in receiver.received if r.json["data"]["id"] == order.pk
    ]
    assert of_order == [
        "order.confirmed",
        "order.confirmed",
        "order.shipped",
        "order.delivered",
    ]
    assert set(webhook.deliveries.values_list("status", flat=True)) == {"delivered"}


def test_two_workers_at_once_deliver_each_event_exactly_once(receiver):
    receiver.answer = lambda request: (200, b"", 0.01)
    make_webhook(receiver.url)
    second = make_webhook(receiver.url.replace("/hook", "/second"))
    for _ in range(40):
        confirmed_order()
    expected = Delivery.objects.count()
    assert expected == 80

    counts = run_concurrently([lambda: deliver(batch_size=5)] * 2)

    assert sum(counts) == expected
    assert all(counts)  # both took part
    sent = [(r.path, r.headers["X-Store-Event-Id"]) for r in receiver.received]
    assert len(sent) == expected == len(set(sent))
    assert sum(1 for path, _ in sent if path == "/second") == 40
    assert set(second.deliveries.values_list("status", "attempts")) == {
        ("delivered", 1)
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_deactivated_webhook_is_not_sent_to_until_reactivated(receiver):
    webhook = make_webhook(receiver.url)
    confirmed_order()
    type(webhook).objects.filter(pk=webhook.pk).update(is_active=False)

    assert deliver() == 0
    type(webhook).objects.filter(pk=webhook.pk).update(is_active=True)
    assert deliver() == 1


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_the_worker_checks_the_address_again_when_it_connects(receiver):
    # Subscribed when the host was public; it now resolves to 127.0.0.1.
    webhook = make_webhook(receiver.url.replace("127.0.0.1", "localhost"))
    confirmed_order()

    deliver()

    assert receiver.received == []
    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "not a public address" in delivery.last_error


def test_the_body_is_the_same_bytes_on_every_attempt(receiver):
    answers = iter([(500, b"", 0.0), (200, b"", 0.0)])
    receiver.answer = lambda request: next(answers)
    webhook = make_webhook(receiver.url)
    confirmed_order()
    deliver()
    make_due(webhook.deliveries.get())
    deliver()

    first, second = receiver.received
    assert first.body == second.body
    assert json.loads(first.body)["data"]["status"] == "confirmed"
    assert first.signature_valid(SECRET) and second.signature_valid(SECRET)


def test_redelivery_sends_a_delivered_event_again(receiver, manager_api):
    webhook = make_webhook(receiver.url)
    confirmed_order()
    deliver()
    delivery = webhook.deliveries.get()

    response = manager_api.post(
        f"/api/v1/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver/"
    )
    assert response.status_code == 202
    deliver()

    first, second = receiver.received
    assert first.body == second.body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
