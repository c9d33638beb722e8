"""Safe retries with Idempotency-Key: the work is done once, whatever happens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import StockMovement
from sales.models import Order, OrderStatusChange
from store_project.models import IdempotencyKey
from tests.factories import ClientFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error, assert_ledger_exact, run_concurrently, stock_of

pytestmark = pytest.mark.django_db


def create_order(api, body, key):
    return api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def order_body():
    return {
        "client": ClientFactory().pk,
        "lines": [{"product": ProductFactory().pk, "quantity": 2}],
    }


def test_a_retried_create_answers_the_first_response_and_creates_one_order(
    manager_api,
):
    body = order_body()

    first = create_order(manager_api, body, "till-1-sale-42")
    retry = create_order(manager_api, body, "till-1-sale-42")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_does_nothing(manager_api):
    body = order_body()
    create_order(manager_api, body, "k-1")

    other = create_order(manager_api, {**body, "notes": "changed"}, "k-1")

    assert_error(other, 422, code="idempotency_key_reused")
    assert Order.objects.count() == 1


def test_the_same_key_on_another_path_is_422(manager_api):
    order = OrderFactory(lines=[(ProductFactory(), 1)])
    manager_api.post(f"/api/v1/orders/{order.pk}/cancel/", HTTP_IDEMPOTENCY_KEY="k")

    again = manager_api.post(
        f"/api/v1/orders/{order.pk}/confirm/", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_error(again, 422)


def test_keys_belong_to_their_user(as_role):
    body = order_body()
    ann, bob = as_role("clerk"), as_role("clerk")

    create_order(ann, body, "shared-key")
    create_order(bob, body, "shared-key")

    assert Order.objects.count() == 2


def test_requests_without_a_key_are_not_deduplicated(manager_api):
    body = order_body()

    manager_api.post("/api/v1/orders/", body, format="json")
    manager_api.post("/api/v1/orders/", body, format="json")

    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "é"])
def test_malformed_keys_are_400(manager_api, key):
    response = create_order(manager_api, order_body(), key)

    assert_error(response, 400, attr="Idempotency-Key")
    assert not Order.objects.exists()


def test_a_retried_confirmation_takes_stock_once(manager_api):
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 4)])
    url = f"/api/v1/orders/{order.pk}/confirm/"

    first = manager_api.post(url, HTTP_IDEMPOTENCY_KEY="confirm-1")
    retry = manager_api.post(url, HTTP_IDEMPOTENCY_KEY="confirm-1")
    without_key = manager_api.post(url)

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert_error(without_key, 409)
    product.refresh_from_db()
    assert stock_of(product) == 6
    assert OrderStatusChange.objects.count() == 1


def test_a_retried_adjustment_is_applied_once(manager_api):
    product = ProductFactory(stock=1)
    url = f"/api/v1/products/{product.pk}/adjust-stock/"
    body = {"quantity": 5, "reason": "restock"}

    responses = [
        manager_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r-9")
        for _ in range(3)
    ]

    assert [r.json()["stock"] for r in responses] == [6, 6, 6]
    product.refresh_from_db()
    assert stock_of(product) == 6
    assert StockMovement.objects.filter(reason="restock").count() == 1


def test_a_refusal_is_answered_again_on_retry(manager_api):
    product = ProductFactory(stock=1)
    order = OrderFactory(lines=[(product, 3)])
    url = f"/api/v1/orders/{order.pk}/confirm/"
    first = manager_api.post(url, HTTP_IDEMPOTENCY_KEY="c")
    manager_api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": 5, "reason": "restock"},
        format="json",
    )

    retry = manager_api.post(url, HTTP_IDEMPOTENCY_KEY="c")

    assert_error(first, 409, code="insufficient_stock")
    assert retry.status_code == 409 and retry.json() == first.json()
    order.refresh_from_db()
    assert order.status == "draft"


def test_keys_expire_after_24_hours(manager_api):
    body = order_body()
    create_order(manager_api, body, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = create_order(manager_api, body, "old")

    assert again.status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_do_the_work_once(as_role):
    api = as_role("clerk")
    body = order_body()

    responses = run_concurrently(
        [lambda: create_order(api, body, "burst") for _ in range(8)]
    )

    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 1
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmation_retries_take_stock_once(as_role):
    api = as_role("clerk")
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 3)])
    url = f"/api/v1/orders/{order.pk}/confirm/"

    responses = run_concurrently(
        [lambda: api.post(url, HTTP_IDEMPOTENCY_KEY="tap") for _ in range(8)]
    )

    assert [r.status_code for r in responses] == [200] * 8
    assert stock_of(product) == 7
    assert StockMovement.objects.filter(order_id=order.pk).count() == 1
    assert OrderStatusChange.objects.filter(order=order).count() == 1
    assert_ledger_exact()


def test_purging_removes_only_expired_keys(manager_api):
    from django.core.management import call_command

    create_order(manager_api, order_body(), "old")
    create_order(manager_api, order_body(), "new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    call_command("purge_idempotency_keys")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
