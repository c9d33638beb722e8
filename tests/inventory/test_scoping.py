"""Who sees which location: the contract's scoping rules, through the API."""

import pytest

from inventory.models import Location, StockLevel, StockMovement
from sales.models import Order
from staff.models import Employee
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
)
from tests.helpers import assert_error, stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    """MAIN and NORTH, a product stocked at both, an order at each."""
    main = Location.objects.get(code="MAIN")
    north = LocationFactory(code="NORTH")
    product = ProductFactory(stock=10)
    from inventory.services import stock_apply

    stock_apply(location_id=north.pk, changes={product.pk: 10}, reason="restock")
    return {
        "main": main,
        "north": north,
        "product": product,
        "at_main": OrderFactory(location=main, lines=[(product, 1)]),
        "at_north": OrderFactory(location=north, lines=[(product, 1)]),
    }


def scoped_to(as_role, *roles, locations, home=None):
    api = as_role(*roles)
    employee = EmployeeFactory(user=api.user, home_location=None)
    employee.locations.set(locations)
    if home is not None:
        Employee.objects.filter(pk=employee.pk).update(home_location=home)
    return api


def ids(api, url):
    return sorted(row["id"] for row in api.get(url).json()["results"])


def test_a_scoped_clerk_lists_only_the_orders_levels_and_movements_there(as_role, shop):
    api = scoped_to(as_role, "clerk", locations=[shop["north"]])
    north = shop["north"]

    assert ids(api, "/api/v1/orders/") == [shop["at_north"].pk]
    assert ids(api, "/api/v1/stock-levels/") == sorted(
        StockLevel.objects.filter(location=north).values_list("pk", flat=True)
    )
    assert ids(api, "/api/v1/stock-movements/") == sorted(
        StockMovement.objects.filter(location=north).values_list("pk", flat=True)
    )
    # Shared by every location: products, clients, locations themselves.
    assert len(ids(api, "/api/v1/products/")) == 1
    assert len(ids(api, "/api/v1/locations/")) == 2


@pytest.mark.parametrize("roles", [("manager",), ()])
def test_a_manager_or_an_employee_without_locations_sees_everything(
    as_role, shop, roles
):
    if roles:
        api = scoped_to(as_role, *roles, locations=[shop["north"]])
    else:
        api = as_role("clerk")
        EmployeeFactory(user=api.user)  # no locations listed

    assert ids(api, "/api/v1/orders/") == sorted(
        [shop["at_main"].pk, shop["at_north"].pk]
    )
    assert len(ids(api, "/api/v1/stock-levels/")) == 2


def test_a_superuser_with_locations_sees_everything(superuser_api, shop):
    employee = EmployeeFactory(user=superuser_api.user)
    employee.locations.set([shop["north"]])

    assert len(ids(superuser_api, "/api/v1/orders/")) == 2


@pytest.mark.parametrize(
    "method, suffix, body",
    [
        ("get", "", None),
        ("get", "history/", None),
        ("patch", "", {"notes": "x"}),
        ("put", "", {"client": None}),
        ("delete", "", None),
        ("post", "confirm/", None),
        ("post", "cancel/", None),
    ],
)
def test_an_order_of_another_location_is_404_everywhere(
    as_role, shop, method, suffix, body
):
    api = scoped_to(as_role, "clerk", locations=[shop["north"]])
    order = shop["at_main"]
    if body and "client" in body:
        body = {"client": order.client_id}

    response = getattr(api, method)(
        f"/api/v1/orders/{order.pk}/{suffix}", body, format="json"
    )

    assert_error(response, 404)
    order.refresh_from_db()
    assert (order.status, order.notes) == ("draft", "")
    assert Order.objects.filter(pk=order.pk).exists()


def test_a_stock_level_of_another_location_is_404(as_role, shop):
    api = scoped_to(as_role, "warehouse", locations=[shop["north"]])
    level = StockLevel.objects.get(location=shop["main"])

    assert_error(api.get(f"/api/v1/stock-levels/{level.pk}/"), 404)
    assert_error(
        api.patch(f"/api/v1/stock-levels/{level.pk}/", {"reorder_level": 3}), 404
    )
    level.refresh_from_db()
    assert level.reorder_level == 0


def test_writing_at_another_location_is_400_on_location(as_role, shop):
    api = scoped_to(as_role, "clerk", "warehouse", locations=[shop["north"]])
    product = shop["product"]
    client = ClientFactory()
    before = Order.objects.count()

    create = api.post(
        "/api/v1/orders/",
        {"client": client.pk, "location": shop["main"].pk},
        format="json",
    )
    move = api.patch(
        f"/api/v1/orders/{shop['at_north'].pk}/",
        {"location": shop["main"].pk},
        format="json",
    )
    adjust = api.post(
        f"/api/v1/products/{product.pk}/adjust-stock/",
        {"quantity": 1, "reason": "restock", "location": shop["main"].pk},
    )

    for response in (create, move, adjust):
        assert_error(response, 400, code="out_of_scope", attr="location")
    assert Order.objects.count() == before
    assert Order.objects.get(pk=shop["at_north"].pk).location == shop["north"]
    assert stock_of(product, shop["main"]) == 10


def test_a_scoped_users_adjustment_without_location_needs_one_of_theirs(as_role, shop):
    # The default location (MAIN) is not theirs: they must say where.
    api = scoped_to(as_role, "warehouse", locations=[shop["north"]])
    url = f"/api/v1/products/{shop['product'].pk}/adjust-stock/"

    refused = api.post(url, {"quantity": 1, "reason": "restock"})
    done = api.post(
        url, {"quantity": 1, "reason": "restock", "location": shop["north"].pk}
    )

    assert_error(refused, 400, code="out_of_scope", attr="location")
    assert done.status_code == 200
    assert stock_of(shop["product"], shop["north"]) == 11


def test_a_new_order_is_at_the_requesting_employees_home_location(as_role, shop):
    api = scoped_to(
        as_role, "clerk", locations=[shop["main"], shop["north"]], home=shop["north"]
    )
    other = as_role("clerk")  # no employee: the default location

    mine = api.post("/api/v1/orders/", {"client": ClientFactory().pk}, format="json")
    theirs = other.post(
        "/api/v1/orders/", {"client": ClientFactory().pk}, format="json"
    )
    chosen = api.post(
        "/api/v1/orders/",
        {"client": ClientFactory().pk, "location": shop["main"].pk},
        format="json",
    )

    assert mine.json()["location"] == shop["north"].pk
    assert theirs.json()["location"] == shop["main"].pk
    assert chosen.json()["location"] == shop["main"].pk


def test_a_scoped_clerk_confirms_at_their_location_only(as_role, shop):
    api = scoped_to(as_role, "clerk", locations=[shop["north"]])

    mine = api.post(f"/api/v1/orders/{shop['at_north'].pk}/confirm/")
    theirs = api.post(f"/api/v1/orders/{shop['at_main'].pk}/confirm/")

    assert mine.status_code == 200
    assert_error(theirs, 404)
    assert stock_of(shop["product"], shop["north"]) == 9
    assert stock_of(shop["product"], shop["main"]) == 10


# --- Employees' locations ------------------------------------------------------


def test_an_employees_home_location_must_be_one_of_their_locations(manager_api):
    main = Location.objects.get(code="MAIN")
    north = LocationFactory()
    url = "/api/v1/employees/"

    created = manager_api.post(
        url,
        {"name": "Ana", "locations": [main.pk, north.pk], "home_location": north.pk},
        format="json",
    )
    refused = manager_api.post(
        url,
        {"name": "Bo", "locations": [main.pk], "home_location": north.pk},
        format="json",
    )
    employee_url = f"{url}{created.json()['id']}/"
    dropped = manager_api.patch(employee_url, {"locations": [main.pk]}, format="json")

    assert created.status_code == 201, created.content
    assert sorted(created.json()["locations"]) == sorted([main.pk, north.pk])
    assert created.json()["home_location"] == north.pk
    assert_error(refused, 400, code="not_in_locations", attr="home_location")
    assert_error(dropped, 400, code="not_in_locations", attr="home_location")
    assert not Employee.objects.filter(name="Bo").exists()
    ana = Employee.objects.get(name="Ana")
    assert set(ana.locations.all()) == {main, north}
    moved = manager_api.patch(
        employee_url,
        {"locations": [main.pk], "home_location": main.pk},
        format="json",
    )
    assert moved.status_code == 200
    assert (moved.json()["locations"], moved.json()["home_location"]) == (
        [main.pk],
        main.pk,
    )


def test_the_database_refuses_a_home_location_outside_the_employees():
    from django.db import IntegrityError, connection, transaction

    north = LocationFactory()
    employee = EmployeeFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Employee.objects.filter(pk=employee.pk).update(home_location=north)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    employee.refresh_from_db()
    assert employee.home_location is None


def test_the_employee_list_is_a_constant_number_of_queries(
    manager_api, django_assert_max_num_queries
):
    locations = [LocationFactory() for _ in range(3)]
    for _ in range(15):
        EmployeeFactory().locations.set(locations)

    with django_assert_max_num_queries(4):
        response = manager_api.get("/api/v1/employees/?page_size=50")

    assert all(len(e["locations"]) == 3 for e in response.json()["results"])
