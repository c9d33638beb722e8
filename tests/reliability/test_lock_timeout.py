"""A row held too long by someone else fails fast with a clear 503."""

import time

import pytest
from django.db import connection

from inventory.models import StockMovement
from tests.factories import OrderFactory, ProductFactory
from tests.helpers import assert_error, other_session, stock_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager_api(manager_api):
    # A 5xx is reported like a server error; answer it instead of re-raising.
    manager_api.raise_request_exception = False
    return manager_api


@pytest.fixture(autouse=True)
def short_lock_timeout():
    """Wait 300 ms for a lock instead of DB_LOCK_TIMEOUT_MS (a session setting)."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = 300")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def test_an_adjustment_waiting_on_a_held_product_lock_answers_503(manager_api):
    product = ProductFactory(stock=5)
    with other_session() as holder:
        holder.execute(
            "SELECT id FROM inventory_stocklevel WHERE product_id = %s FOR UPDATE",
            [product.pk],
        )

        started = time.monotonic()
        response = manager_api.post(
            f"/api/v1/products/{product.pk}/adjust-stock/",
            {"quantity": 1, "reason": "restock"},
            format="json",
        )
        waited = time.monotonic() - started
        holder.rollback()

    body = assert_error(response, 503, code="lock_timeout")
    assert "try again" in body["errors"][0]["detail"]
    assert waited < 3
    assert stock_of(product) == 5
    assert StockMovement.objects.count() == 1


def test_a_confirmation_waiting_on_a_held_order_answers_503(manager_api):
    order = OrderFactory(lines=[(ProductFactory(stock=5), 1)])
    with other_session() as holder:
        holder.execute(
            "SELECT id FROM sales_order WHERE id = %s FOR UPDATE", [order.pk]
        )
        response = manager_api.post(f"/api/v1/orders/{order.pk}/confirm/")
        holder.rollback()

    assert_error(response, 503, code="lock_timeout")
    order.refresh_from_db()
    assert order.status == "draft"


def test_every_connection_waits_for_a_lock_at_most_five_seconds():
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")  # back to the connection's default
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "5s"


def test_a_retry_waiting_on_a_held_idempotency_key_answers_503_lock_timeout(
    manager_api,
):
    order = OrderFactory(lines=[(ProductFactory(stock=5), 1)])
    url = f"/api/v1/orders/{order.pk}/cancel/"
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-1"}
    assert manager_api.post(url, **key).status_code == 200
    with other_session() as holder:
        holder.execute(
            "SELECT id FROM store_project_idempotencykey WHERE key = %s FOR UPDATE",
            ["retry-1"],
        )
        response = manager_api.post(url, **key)
        holder.rollback()

    # The lock wait, not the database being down: the client may retry.
    assert_error(response, 503, code="lock_timeout")
