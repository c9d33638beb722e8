"""Locations and stock levels through the API, as the contract's section says."""

import pytest

from audit.models import AuditEntry
from inventory.models import Location, StockLevel, StockMovement
from sales.services import order_transition
from tests.factories import LocationFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error, stock_of

pytestmark = pytest.mark.django_db
LOCATIONS = "/api/v1/locations/"
LEVELS = "/api/v1/stock-levels/"


def test_after_migrate_exactly_one_location_exists_main_the_default(manager_api):
    body = manager_api.get(LOCATIONS).json()

    assert body["count"] == 1
    (main,) = body["results"]
    assert (main["code"], main["is_default"], main["is_active"]) == ("MAIN", True, True)
    assert set(main) == {
        "id", "code", "name", "kind", "address", "is_active", "is_default",
    }  # fmt: skip


def test_a_code_is_stored_upper_cased_and_unique_ignoring_case(manager_api):
    created = manager_api.post(
        LOCATIONS, {"code": "north-1", "name": "North", "kind": "store"}
    )
    again = manager_api.post(LOCATIONS, {"code": "NORTH-1", "name": "Other"})

    assert created.status_code == 201, created.content
    assert created.json()["code"] == "NORTH-1"
    assert created.json()["is_default"] is False
    assert_error(again, 400, code="unique", attr="code")
    assert Location.objects.filter(code="NORTH-1").count() == 1


@pytest.mark.parametrize(
    "code", ["", "a" * 21, "north store", "nörth", "N_1", 7, None, "MAIN\x00"]
)
def test_a_bad_code_is_400_and_nothing_is_written(manager_api, code):
    response = manager_api.post(LOCATIONS, {"code": code, "name": "X"}, format="json")

    # A NUL is refused by the parser, before any field.
    assert_error(response, 400, attr=None if code == "MAIN\x00" else "code")
    assert Location.objects.count() == 1


def test_making_another_location_the_default_moves_the_flag(manager_api):
    main = Location.objects.get(code="MAIN")
    depot = LocationFactory(code="DEPOT", kind="warehouse")

    response = manager_api.patch(f"{LOCATIONS}{depot.pk}/", {"is_default": True})

    assert response.status_code == 200, response.content
    assert list(Location.objects.filter(is_default=True)) == [depot]
    main.refresh_from_db()
    assert main.is_default is False
    # Both changes are in the audit log.
    changes = {
        entry.object_id: entry.changes
        for entry in AuditEntry.objects.filter(object_type="location")
    }
    assert changes[main.pk] == {"is_default": [True, False]}
    assert changes[depot.pk]["is_default"] == [False, True]


def test_the_default_cannot_be_unset_deactivated_or_deleted(manager_api):
    main = Location.objects.get(code="MAIN")
    url = f"{LOCATIONS}{main.pk}/"

    assert_error(
        manager_api.patch(url, {"is_default": False}), 400, code="default_required"
    )
    assert_error(
        manager_api.patch(url, {"is_active": False}), 400, code="default_inactive"
    )
    assert_error(manager_api.delete(url), 409)
    main.refresh_from_db()
    assert (main.is_default, main.is_active) == (True, True)


def test_a_new_default_must_be_active(manager_api):
    response = manager_api.post(
        LOCATIONS,
        {"code": "OFF", "name": "Off", "is_active": False, "is_default": True},
        format="json",
    )

    assert_error(response, 400, code="default_inactive", attr="is_default")
    assert Location.objects.count() == 1


def test_a_location_with_stock_movements_or_orders_cannot_be_deleted(manager_api):
    with_stock, with_order, empty = (
        LocationFactory(),
        LocationFactory(),
        LocationFactory(),
    )
    product = ProductFactory(stock=0)
    manager_api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": 3, "reason": "restock", "location": with_stock.pk},
    )
    OrderFactory(location=with_order, lines=[(product, 1)])

    assert_error(manager_api.delete(f"{LOCATIONS}{with_stock.pk}/"), 409)
    assert_error(manager_api.delete(f"{LOCATIONS}{with_order.pk}/"), 409)
    assert manager_api.delete(f"{LOCATIONS}{empty.pk}/").status_code == 204
    assert set(Location.objects.values_list("pk", flat=True)) >= {
        with_stock.pk,
        with_order.pk,
    }
    assert not Location.objects.filter(pk=empty.pk).exists()


def test_an_inactive_location_takes_no_adjustments_or_orders(manager_api):
    closed = LocationFactory(is_active=False)
    product = ProductFactory(stock=5)
    movements = StockMovement.objects.count()

    adjust = manager_api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": 3, "reason": "restock", "location": closed.pk},
    )
    order = manager_api.post(
        "/api/v1/orders/",
        {
            "client": OrderFactory().client_id,
            "location": closed.pk,
            "lines": [{"product": product.pk, "quantity": 1}],
        },
        format="json",
    )

    assert_error(adjust, 400, code="inactive_location", attr="location")
    assert_error(order, 400, code="inactive_location", attr="location")
    assert StockMovement.objects.count() == movements
    assert stock_of(product) == 5


def test_adjust_stock_defaults_to_the_default_location_and_takes_another(
    manager_api,
):
    main = Location.objects.get(code="MAIN")
    north = LocationFactory(code="NORTH")
    product = ProductFactory(stock=5)
    url = f"/api/v1/products/{product.pk}/adjust-stock/"

    at_main = manager_api.post(url, {"quantity": 2, "reason": "restock"})
    at_north = manager_api.post(
        url, {"quantity": 4, "reason": "restock", "location": north.pk}
    )
    unknown = manager_api.post(
        url, {"quantity": 4, "reason": "restock", "location": 999_999}
    )

    assert at_main.json()["stock"] == 7
    assert at_north.json()["stock"] == 11
    assert_error(unknown, 400, code="does_not_exist", attr="location")
    assert (stock_of(product, main), stock_of(product, north)) == (7, 4)
    latest = StockMovement.objects.filter(product=product).order_by("pk")
    assert [(m.location.code, m.quantity) for m in latest] == [
        ("MAIN", 5),
        ("MAIN", 2),
        ("NORTH", 4),
    ]


def test_short_at_the_location_even_when_another_has_it_is_409(manager_api):
    north = LocationFactory(code="NORTH")
    product = ProductFactory(name="Ink", stock=50)  # at MAIN

    response = manager_api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": -1, "reason": "damage", "location": north.pk},
    )

    body = assert_error(response, 409, code="insufficient_stock")
    assert "at NORTH: 1 requested, 0 available" in body["errors"][0]["detail"]
    assert stock_of(product) == 50
    assert not StockLevel.objects.filter(location=north).exists()


def test_a_products_stock_is_the_sum_over_locations_and_sorts_and_filters(
    manager_api,
):
    north = LocationFactory()
    low = ProductFactory(name="Low", stock=2, reorder_level=5)
    spread = ProductFactory(name="Spread", stock=2, reorder_level=5)
    manager_api.post(
        f"/api/v1/products/{spread.pk}/adjust-stock/",
        {"quantity": 6, "reason": "restock", "location": north.pk},
    )
    ProductFactory(name="Plenty", stock=30, reorder_level=5)

    listed = manager_api.get("/api/v1/products/?ordering=-stock").json()["results"]
    only_low = manager_api.get("/api/v1/products/?low_stock=true").json()["results"]

    assert [(p["name"], p["stock"], p["is_low_stock"]) for p in listed] == [
        ("Plenty", 30, False),
        ("Spread", 8, False),
        ("Low", 2, True),
    ]
    assert [p["name"] for p in only_low] == ["Low"]
    assert manager_api.get(f"/api/v1/products/{low.pk}/").json()["stock"] == 2


def test_the_product_list_is_one_query_whatever_its_length(
    manager_api, django_assert_max_num_queries
):
    north = LocationFactory()
    for n in range(30):
        product = ProductFactory(stock=n)
        manager_api.post(
            f"/api/v1/products/{product.pk}/adjust-stock/",
            {"quantity": 1, "reason": "restock", "location": north.pk},
        )

    # The token's user with its permissions, the page with its count.
    with django_assert_max_num_queries(3):
        response = manager_api.get("/api/v1/products/?page_size=50&ordering=stock")

    stocks = [p["stock"] for p in response.json()["results"]]
    assert stocks == sorted(stocks) and len(stocks) == 30
    assert stocks[0] == 1


# --- Stock levels --------------------------------------------------------------


def test_stock_levels_list_one_row_per_product_and_location(manager_api):
    north = LocationFactory(code="NORTH")
    pen = ProductFactory(name="Pen", sku="PEN", stock=4)
    manager_api.post(
        f"/api/v1/products/{pen.pk}/adjust-stock/",
        {"quantity": 9, "reason": "restock", "location": north.pk},
    )

    rows = manager_api.get(f"{LEVELS}?product={pen.pk}&ordering=-on_hand").json()

    assert [
        (r["location"], r["on_hand"], r["product_name"], r["sku"])
        for r in rows["results"]
    ] == [
        (north.pk, 9, "Pen", "PEN"),
        (Location.objects.get(code="MAIN").pk, 4, "Pen", "PEN"),
    ]
    assert set(rows["results"][0]) == {
        "id", "product", "product_name", "sku", "location", "on_hand",
        "reorder_level", "is_low_stock",
    }  # fmt: skip


def test_stock_level_filters_location_and_low_stock(manager_api):
    north = LocationFactory()
    pen, ink = ProductFactory(stock=1), ProductFactory(stock=8)
    level = StockLevel.objects.get(product=pen)
    manager_api.patch(f"{LEVELS}{level.pk}/", {"reorder_level": 2})
    manager_api.post(
        f"/api/v1/products/{ink.pk}/adjust-stock/",
        {"quantity": 1, "reason": "restock", "location": north.pk},
    )

    def ids(query):
        return [r["id"] for r in manager_api.get(LEVELS + query).json()["results"]]

    assert ids("?low_stock=true") == [level.pk]
    assert ids(f"?location={north.pk}") == [StockLevel.objects.get(location=north).pk]
    assert_error(manager_api.get(LEVELS + "?low_stock=maybe"), 400)
    assert_error(manager_api.get(LEVELS + "?location=x"), 400)


def test_only_the_reorder_level_of_a_stock_level_is_writable(manager_api):
    product = ProductFactory(stock=5)
    level = StockLevel.objects.get(product=product)
    url = f"{LEVELS}{level.pk}/"

    patched = manager_api.patch(url, {"reorder_level": 7, "on_hand": 999})
    negative = manager_api.patch(url, {"reorder_level": -1})
    put = manager_api.put(url, {"reorder_level": 1})
    post = manager_api.post(LEVELS, {"reorder_level": 1})
    delete = manager_api.delete(url)

    assert patched.status_code == 200
    assert (patched.json()["reorder_level"], patched.json()["on_hand"]) == (7, 5)
    assert patched.json()["is_low_stock"] is True
    assert_error(negative, 400, attr="reorder_level")
    for refused in (put, post, delete):
        assert_error(refused, 405)
    level.refresh_from_db()
    assert (level.on_hand, level.reorder_level) == (5, 7)


def test_the_stock_level_list_is_a_constant_number_of_queries(
    manager_api, django_assert_max_num_queries
):
    locations = [LocationFactory() for _ in range(3)]
    for n in range(10):
        product = ProductFactory(stock=n + 1)
        for location in locations:
            manager_api.post(
                f"/api/v1/products/{product.pk}/adjust-stock/",
                {"quantity": 1, "reason": "restock", "location": location.pk},
            )

    with django_assert_max_num_queries(3):
        response = manager_api.get(f"{LEVELS}?page_size=100")

    assert response.json()["count"] == 40


def test_stock_movements_carry_their_location_and_filter_by_it(manager_api):
    north = LocationFactory()
    product = ProductFactory(stock=3)
    manager_api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": 2, "reason": "restock", "location": north.pk},
    )

    rows = manager_api.get(f"/api/v1/stock-movements/?location={north.pk}").json()

    (movement,) = rows["results"]
    assert (movement["location"], movement["quantity"]) == (north.pk, 2)
    assert movement["transfer"] is None
    assert movement["purchase_order"] is None
    assert movement["return"] is None
    assert movement["unit_cost"] is None


def test_an_order_takes_and_gives_back_stock_at_its_own_location(manager_api):
    main = Location.objects.get(code="MAIN")
    north = LocationFactory(code="NORTH")
    product = ProductFactory(stock=10)
    manager_api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": 4, "reason": "restock", "location": north.pk},
    )
    order = OrderFactory(location=north, lines=[(product, 3)])

    confirmed = manager_api.post(f"/api/v1/orders/{order.pk}/confirm/")
    after_confirm = (stock_of(product, main), stock_of(product, north))
    cancelled = manager_api.post(f"/api/v1/orders/{order.pk}/cancel/")

    assert confirmed.status_code == 200 and cancelled.status_code == 200
    assert confirmed.json()["location"] == north.pk
    assert after_confirm == (10, 1)
    assert (stock_of(product, main), stock_of(product, north)) == (10, 4)
    moves = StockMovement.objects.filter(order_id=order.pk).order_by("pk")
    assert [(m.location_id, m.quantity, m.reason) for m in moves] == [
        (north.pk, -3, "sale"),
        (north.pk, 3, "cancellation"),
    ]


def test_confirming_short_at_the_orders_location_names_what_is_there(manager_api):
    north = LocationFactory(code="NORTH")
    pen = ProductFactory(name="Pen", stock=100)  # all at MAIN
    ink = ProductFactory(name="Ink", stock=100)
    manager_api.post(
        f"/api/v1/products/{ink.pk}/adjust-stock/",
        {"quantity": 1, "reason": "restock", "location": north.pk},
    )
    order = OrderFactory(location=north, lines=[(pen, 2), (ink, 2)])

    response = manager_api.post(f"/api/v1/orders/{order.pk}/confirm/")

    body = assert_error(response, 409, code="insufficient_stock")
    details = [e["detail"] for e in body["errors"]]
    assert details == [
        f"Insufficient stock for product 'Pen' (id {pen.pk}) at NORTH: "
        "2 requested, 0 available.",
        f"Insufficient stock for product 'Ink' (id {ink.pk}) at NORTH: "
        "2 requested, 1 available.",
    ]
    order.refresh_from_db()
    assert order.status == "draft"
    assert (stock_of(pen), stock_of(ink)) == (100, 101)
    assert not StockMovement.objects.filter(order_id=order.pk).exists()


def test_cancel_gives_back_what_the_ledger_says_even_if_the_location_changed():
    # The order's location can only change while it is a draft, but the
    # ledger, not the order, says where the units came from.
    north = LocationFactory()
    product = ProductFactory(stock=5)
    order = OrderFactory(lines=[(product, 2)])
    order_transition(order_id=order.pk, action="confirm")
    from sales.models import Order

    Order.objects.filter(pk=order.pk).update(location=north)

    order_transition(order_id=order.pk, action="cancel")

    assert stock_of(product) == 5
    assert stock_of(product, north) == 0
