"""Hot lists read an unfiltered page by SQL compiled once: the same answers.

``CompiledRows`` keeps a list's statement per view and key (the user's
location scope for orders). Compared here with the same list compiled on
every request, and across users of different scopes in one process.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.views import ProductViewSet
from sales.views import OrderViewSet
from store_project.api.viewsets import CompiledRows
from tests.factories import (
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
)


@pytest.fixture(autouse=True)
def no_statements_kept():
    CompiledRows._statements.clear()
    yield
    CompiledRows._statements.clear()


def pages(api, url, sizes=(("1", "3"), ("2", "3"), ("1", "50"))):
    return [
        api.get(url, {"page": page, "page_size": size}).json() for page, size in sizes
    ]


@pytest.mark.parametrize(
    "view, url",
    [(ProductViewSet, "/api/v1/products/"), (OrderViewSet, "/api/v1/orders/")],
)
def test_pages_read_by_the_kept_statement_equal_those_compiled_each_time(
    manager_api, monkeypatch, view, url
):
    products = [ProductFactory(stock=9, unit_price=Decimal("0.07")) for _ in range(4)]
    for product in products:
        OrderFactory(
            lines=[(product, 2), (products[0], 1)]
            if product != products[0]
            else [(product, 3)]
        )

    kept = pages(manager_api, url)
    assert len(CompiledRows._statements) == 1
    assert manager_api.get(url, {"page": "9"}).status_code == 404
    monkeypatch.setattr(view, "list_statement_key", lambda self: None)
    compiled = pages(manager_api, url)

    assert kept == compiled
    assert [page["count"] for page in kept] == [4] * 3
    assert [len(page["results"]) for page in kept] == [3, 1, 4]
    assert kept[0]["next"].endswith("page=2&page_size=3")


def test_a_filter_search_or_ordering_is_compiled_as_asked(manager_api):
    cheap = ProductFactory(name="Cheap pen", unit_price=Decimal("0.99"))
    ProductFactory(name="Dear pen", unit_price=Decimal("9.99"))

    manager_api.get("/api/v1/products/")
    answers = [
        manager_api.get("/api/v1/products/", params).json()
        for params in ({"search": "Cheap"}, {"ordering": "-unit_price"})
    ]

    assert [row["id"] for row in answers[0]["results"]] == [cheap.pk]
    assert [row["unit_price"] for row in answers[1]["results"]] == ["9.99", "0.99"]
    assert len(CompiledRows._statements) == 1  # only the unfiltered list's


def test_users_of_different_scopes_each_see_their_own_orders(as_role):
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    product = ProductFactory(stock=0)
    at_north = [OrderFactory(location=north, lines=[(product, 1)]) for _ in range(2)]
    at_south = OrderFactory(location=south, lines=[(product, 1)])
    manager = as_role("manager")
    clerks = {}
    for location in (north, south):
        clerks[location.code] = as_role("clerk")
        EmployeeFactory(user=clerks[location.code].user).locations.set([location])

    everything = manager.get("/api/v1/orders/").json()
    seen = {code: api.get("/api/v1/orders/").json() for code, api in clerks.items()}
    again = manager.get("/api/v1/orders/").json()

    assert everything["count"] == again["count"] == 3
    assert seen["NORTH"]["count"] == 2
    assert {o["id"] for o in seen["NORTH"]["results"]} == {o.pk for o in at_north}
    assert [o["id"] for o in seen["SOUTH"]["results"]] == [at_south.pk]
    assert len(CompiledRows._statements) == 3


def test_a_kept_page_is_one_statement_with_its_count(manager_api):
    for _ in range(3):
        ProductFactory()
    manager_api.get("/api/v1/products/")

    with CaptureQueriesContext(connection) as queries:
        response = manager_api.get("/api/v1/products/", {"page_size": "2"})

    assert response.status_code == 200
    assert response.json()["count"] == 3
    read = [q["sql"] for q in queries.captured_queries if "catalog_product" in q["sql"]]
    assert len(read) == 1
    assert "rowcount" in read[0]
    assert read[0].rstrip().endswith("LIMIT 2 OFFSET 0")


def test_an_empty_list_and_pages_past_its_end_are_counted_on_their_own(
    manager_api,
):
    empty = manager_api.get("/api/v1/products/")
    ProductFactory(name="Only one")
    past_the_end = manager_api.get("/api/v1/products/", {"page": "2"})
    last = manager_api.get("/api/v1/products/", {"page": "last", "page_size": "1"})
    huge = manager_api.get("/api/v1/products/", {"page": "9" * 30})

    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert past_the_end.status_code == huge.status_code == 404
    assert last.status_code == 200
    assert [row["name"] for row in last.json()["results"]] == ["Only one"]
