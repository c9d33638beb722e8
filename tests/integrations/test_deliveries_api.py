"""The delivery log of a webhook, and redelivery."""

import pytest
from django.utils import timezone

from integrations.models import Delivery, DeliveryStatus
from tests.helpers import assert_error

from .conftest import confirmed_order, make_webhook

pytestmark = pytest.mark.django_db


def url(webhook, rest=""):
    return f"/api/v1/webhooks/{webhook.pk}/deliveries/{rest}"


def test_the_log_lists_each_delivery_newest_first(manager_api):
    webhook = make_webhook("http://127.0.0.1:9/hook")
    first, second = confirmed_order(), confirmed_order()
    old = webhook.deliveries.get(event__object_id=first.pk)
    Delivery.objects.filter(pk=old.pk).update(
        status=DeliveryStatus.DELIVERED,
        attempts=2,
        last_status_code=200,
        next_attempt_at=None,
        delivered_at=timezone.now(),
    )

    response = manager_api.get(url(webhook))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest, oldest = body["results"]
    assert set(newest) == {
        "id",
        "event_id",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    }
    assert newest["event"] == "order.confirmed" and newest["status"] == "pending"
    assert newest["attempts"] == 0 and newest["next_attempt_at"] is not None
    assert (
        newest["event_id"]
        == webhook.deliveries.get(event__object_id=second.pk).event_id
    )
    assert oldest["status"] == "delivered" and oldest["attempts"] == 2
    assert oldest["last_status_code"] == 200 and oldest["delivered_at"] is not None
    assert oldest["next_attempt_at"] is None

    delivered_only = manager_api.get(url(webhook), {"status": "delivered"}).json()
    assert [d["id"] for d in delivered_only["results"]] == [old.pk]
    unfiltered = manager_api.get(url(webhook), {"status": ""}).json()  # as left out
    assert unfiltered["count"] == 2


def test_a_bad_status_filter_is_a_400(manager_api, delivered):
    response = manager_api.get(url(delivered.webhook), {"status": "lost"})
    assert_error(response, 400, code="invalid_choice", attr="status")
    page = manager_api.get(url(delivered.webhook), {"page_size": "many"})
    assert_error(page, 400, attr="page_size")


def test_the_log_costs_the_same_queries_for_any_number_of_deliveries(
    manager_api, django_assert_max_num_queries
):
    webhook = make_webhook("http://127.0.0.1:9/hook")
    confirmed_order()
    with django_assert_max_num_queries(8) as few:
        manager_api.get(url(webhook))
    for _ in range(10):
        confirmed_order()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_api.get(url(webhook))
    assert response.json()["count"] == 11


def test_redeliver_queues_a_delivery_again_with_202(manager_api, delivered):
    Delivery.objects.filter(pk=delivered.pk).update(
        status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None
    )

    response = manager_api.post(url(delivered.webhook, f"{delivered.pk}/redeliver/"))

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] == delivered.pk and body["status"] == "pending"
    assert body["attempts"] == 0 and body["next_attempt_at"] is not None
    delivered.refresh_from_db()
    assert delivered.status == DeliveryStatus.PENDING
    assert delivered.next_attempt_at <= timezone.now()


def test_redeliver_of_another_webhooks_delivery_or_no_such_one_is_a_404(
    manager_api, delivered
):
    other = make_webhook("http://127.0.0.1:9/other")

    assert_error(manager_api.post(url(other, f"{delivered.pk}/redeliver/")), 404)
    assert_error(manager_api.post(url(other, "999999999/redeliver/")), 404)
    assert_error(
        manager_api.post(
            f"/api/v1/webhooks/999999999/deliveries/{delivered.pk}/redeliver/"
        ),
        404,
    )
    assert_error(
        manager_api.get("/api/v1/webhooks/99999999999999999999/deliveries/"), 404
    )


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_redeliver(as_role, role, delivered):
    response = as_role(role).post(url(delivered.webhook, f"{delivered.pk}/redeliver/"))
    assert_error(response, 403)


def test_redeliver_with_an_idempotency_key_answers_the_same_again(
    manager_api, delivered
):
    path = url(delivered.webhook, f"{delivered.pk}/redeliver/")
    first = manager_api.post(path, HTTP_IDEMPOTENCY_KEY="redeliver-1")
    Delivery.objects.filter(pk=delivered.pk).update(
        status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None
    )

    again = manager_api.post(path, HTTP_IDEMPOTENCY_KEY="redeliver-1")

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    delivered.refresh_from_db()
    assert delivered.status == DeliveryStatus.FAILED  # not queued a second time


def test_a_redelivery_is_in_the_audit_log(manager_api, delivered):
    from audit.models import AuditEntry

    manager_api.post(url(delivered.webhook, f"{delivered.pk}/redeliver/"))

    entry = AuditEntry.objects.get(action="redeliver")
    assert (entry.object_type, entry.object_id) == ("webhook", delivered.webhook_id)
    assert entry.changes == {"delivery": [None, delivered.pk]}
