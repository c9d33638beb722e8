"""Webhooks and their deliveries in the back-office."""

import pytest
from django.test import override_settings
from django.urls import reverse

from integrations.models import Delivery, DeliveryStatus, Webhook
from tests.admin.conftest import messages_of
from tests.integrations.conftest import confirmed_order, make_webhook

pytestmark = pytest.mark.django_db
ADD = reverse("admin:integrations_webhook_add")
PUBLIC = "https://93.184.215.14/hooks"


def test_a_new_webhook_gets_a_secret_shown_once(manager):
    response = manager.post(
        ADD,
        {"url": PUBLIC, "events": ["order.confirmed", "stock.low"], "is_active": "on"},
        follow=True,
    )

    webhook = Webhook.objects.get()
    assert webhook.events == ["order.confirmed", "stock.low"]
    assert any(webhook.secret in m for m in messages_of(response))
    page = manager.get(reverse("admin:integrations_webhook_change", args=[webhook.pk]))
    assert webhook.secret not in page.content.decode()


def test_saving_without_a_secret_keeps_it(manager):
    webhook = make_webhook(PUBLIC)
    before = webhook.secret

    manager.post(
        reverse("admin:integrations_webhook_change", args=[webhook.pk]),
        {"url": PUBLIC, "events": ["order.shipped"]},
    )

    webhook.refresh_from_db()
    assert webhook.events == ["order.shipped"] and webhook.is_active is False
    assert webhook.secret == before


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_a_private_url_is_refused_on_the_form(manager):
    response = manager.post(
        ADD, {"url": "http://169.254.169.254/", "events": ["order.shipped"]}
    )

    assert response.status_code == 200
    assert "not a public address" in response.content.decode()
    assert not Webhook.objects.exists()


def test_the_redeliver_action_queues_deliveries_again(manager):
    make_webhook("http://127.0.0.1:9/hook")
    confirmed_order()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None
    )

    response = manager.post(
        reverse("admin:integrations_delivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
        follow=True,
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    assert any("1 deliveries queued again" in m for m in messages_of(response))


def test_the_delivery_list_costs_the_same_queries_for_any_length(
    manager, django_assert_max_num_queries
):
    make_webhook("http://127.0.0.1:9/hook")
    confirmed_order()
    url = reverse("admin:integrations_delivery_changelist")
    with django_assert_max_num_queries(30) as few:
        assert manager.get(url).status_code == 200
    for _ in range(10):
        confirmed_order()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager.get(url)
    assert response.content.decode().count("order.confirmed") >= 11


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_other_roles_see_no_webhooks(admin_as, role):
    client = admin_as(role)
    assert (
        client.get(reverse("admin:integrations_webhook_changelist")).status_code == 403
    )
    assert (
        client.get(reverse("admin:integrations_delivery_changelist")).status_code == 403
    )
