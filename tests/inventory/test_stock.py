"""Stock adjustments and the ledger: stock always equals the sum of movements."""

import pytest

from catalog.models import Product
from inventory.models import StockMovement
from tests.factories import OrderFactory, ProductFactory
from tests.helpers import assert_error, assert_ledger_exact, run_concurrently, stock_of

pytestmark = pytest.mark.django_db


def adjust_url(product):
    return f"/api/v1/products/{product.pk}/adjust-stock/"


@pytest.mark.parametrize(
    ("quantity", "reason", "expected"),
    [(7, "restock", 17), (-3, "damage", 7), (-10, "correction", 0), (2, "return", 12)],
)
def test_adjusting_stock_answers_the_product_and_writes_a_movement(
    manager_api, quantity, reason, expected
):
    product = ProductFactory(stock=10)

    response = manager_api.post(
        adjust_url(product), {"quantity": quantity, "reason": reason, "note": "count"}
    )

    assert response.status_code == 200
    assert response.json()["id"] == product.pk
    assert response.json()["stock"] == expected
    movement = StockMovement.objects.filter(product=product).first()
    assert (movement.quantity, movement.reason, movement.note) == (
        quantity,
        reason,
        "count",
    )
    assert_ledger_exact()


def test_an_adjustment_below_zero_is_refused_and_changes_nothing(manager_api):
    product = ProductFactory(stock=4)

    response = manager_api.post(
        adjust_url(product), {"quantity": -5, "reason": "damage"}
    )

    body = assert_error(response, 409, code="insufficient_stock")
    assert "5 requested, 4 available" in body["errors"][0]["detail"]
    product.refresh_from_db()
    assert stock_of(product) == 4
    assert StockMovement.objects.filter(product=product).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 0, "reason": "restock"},
        {"quantity": 10**12, "reason": "restock"},
        {"quantity": "ten", "reason": "restock"},
        {"quantity": 1.5, "reason": "restock"},
        {"quantity": 1, "reason": "sale"},
        {"quantity": 1, "reason": "initial"},
        {"quantity": 1, "reason": "cancellation"},
        {"quantity": 1, "reason": "gift"},
        {"quantity": 1},
        {"reason": "restock"},
        {"quantity": 1, "reason": "restock", "note": "x" * 256},
        {"quantity": 1, "reason": "restock", "note": 5},
        {"quantity": 1, "reason": "restock", "note": "a\x00"},
    ],
)
def test_invalid_adjustments_are_400_and_change_nothing(manager_api, body):
    product = ProductFactory(stock=4)

    response = manager_api.post(adjust_url(product), body)

    assert_error(response, 400)
    product.refresh_from_db()
    assert stock_of(product) == 4
    assert StockMovement.objects.count() == 1


def test_stock_cannot_overflow_the_column(manager_api):
    product = ProductFactory(stock=2_000_000_000)

    response = manager_api.post(
        adjust_url(product), {"quantity": 2_000_000_000, "reason": "restock"}
    )

    assert_error(response, 400, attr="quantity")
    product.refresh_from_db()
    assert stock_of(product) == 2_000_000_000


def test_adjusting_an_unknown_product_is_404(manager_api):
    response = manager_api.post(
        "/api/v1/products/999999/adjust-stock/", {"quantity": 1, "reason": "restock"}
    )

    assert_error(response, 404)


def test_ledger_matches_stock_after_a_mixed_sequence(manager_api):
    products = [ProductFactory(stock=s) for s in (0, 5, 20)]
    steps = [
        (0, 8, "restock"),
        (1, -5, "damage"),
        (2, -7, "correction"),
        (0, -3, "correction"),
        (1, 2, "return"),
        (1, -9, "damage"),  # refused: only 2 left
    ]
    for index, quantity, reason in steps:
        manager_api.post(
            adjust_url(products[index]), {"quantity": quantity, "reason": reason}
        )
    order = OrderFactory(lines=[(products[0], 2), (products[2], 3)])
    manager_api.post(f"/api/v1/orders/{order.pk}/confirm/")
    manager_api.post(f"/api/v1/orders/{order.pk}/cancel/")
    second = OrderFactory(lines=[(products[2], 13)])
    manager_api.post(f"/api/v1/orders/{second.pk}/confirm/")

    stocks = [stock_of(p) for p in products]
    assert stocks == [5, 2, 0]
    assert_ledger_exact()

    listed = manager_api.get("/api/v1/stock-movements/", {"product": products[2].pk})
    assert [m["reason"] for m in listed.json()["results"]] == [
        "sale",
        "cancellation",
        "sale",
        "correction",
        "initial",
    ]


def test_stock_movements_are_read_only_and_filterable(manager_api):
    product = ProductFactory(stock=3)
    order = OrderFactory(lines=[(product, 1)])
    manager_api.post(f"/api/v1/orders/{order.pk}/confirm/")

    by_order = manager_api.get("/api/v1/stock-movements/", {"order": order.pk}).json()
    by_reason = manager_api.get("/api/v1/stock-movements/", {"reason": "initial"})
    refused = manager_api.post(
        "/api/v1/stock-movements/", {"product": product.pk, "quantity": 5}
    )

    assert [(m["quantity"], m["reason"], m["order"]) for m in by_order["results"]] == [
        (-1, "sale", order.pk)
    ]
    assert by_reason.json()["count"] == 1
    assert_error(refused, 405)
    assert_error(manager_api.get("/api/v1/stock-movements/", {"reason": "theft"}), 400)


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_never_lose_an_update_or_go_negative(as_role):
    product = ProductFactory(stock=10)
    clients = [as_role("warehouse") for _ in range(16)]

    def take_two(client):
        return lambda: (
            client.post(
                adjust_url(product), {"quantity": -2, "reason": "damage"}
            ).status_code
        )

    def add_one(client):
        return lambda: (
            client.post(
                adjust_url(product), {"quantity": 1, "reason": "restock"}
            ).status_code
        )

    statuses = run_concurrently(
        [take_two(c) for c in clients[:12]] + [add_one(c) for c in clients[12:]]
    )

    assert set(statuses) <= {200, 409}
    taken = statuses[:12].count(200)
    product.refresh_from_db()
    assert stock_of(product) == 10 + 4 - 2 * taken
    assert stock_of(product) >= 0
    assert taken >= 5  # at least what the opening stock allowed
    assert_ledger_exact()


def test_a_stock_change_is_stamped_like_any_other_write(manager_api):
    # The stock SQL is written by hand; its time must be stored as the ORM
    # stores times, or exact lookups on it miss.
    product = ProductFactory(stock=5)
    manager_api.post(adjust_url(product), {"quantity": 1, "reason": "restock"})
    product.refresh_from_db()
    movement = StockMovement.objects.filter(product=product).latest("id")

    assert Product.objects.filter(pk=product.pk, updated_at=product.updated_at)
    assert StockMovement.objects.filter(pk=movement.pk, created_at=movement.created_at)


def test_a_zero_adjustment_is_refused_on_the_quantity_field_and_writes_nothing(
    manager_api,
):
    product = ProductFactory(stock=4)
    movements = StockMovement.objects.count()

    response = manager_api.post(
        adjust_url(product), {"quantity": 0, "reason": "restock"}, format="json"
    )

    body = assert_error(response, 400, code="invalid", attr="quantity")
    assert body["type"] == "validation_error"
    assert body["errors"] == [
        {
            "code": "invalid",
            "detail": "The quantity must not be zero.",
            "attr": "quantity",
        }
    ]
    product.refresh_from_db()
    assert stock_of(product) == 4
    assert StockMovement.objects.count() == movements


def test_stock_adjust_refuses_a_zero_quantity_for_every_caller():
    from inventory.services import stock_adjust
    from store_project.exceptions import InvalidInput

    product = ProductFactory(stock=4)
    movements = StockMovement.objects.count()

    with pytest.raises(InvalidInput) as refusal:
        stock_adjust(product=product, quantity=0, reason="restock")

    assert (refusal.value.field, refusal.value.code) == ("quantity", "invalid")
    product.refresh_from_db()
    assert stock_of(product) == 4
    assert StockMovement.objects.count() == movements
