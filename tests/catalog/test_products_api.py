from decimal import Decimal

import pytest

from catalog.models import Product
from inventory.models import StockMovement
from tests.factories import CategoryFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error, stock_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/products/"


def product_body(category_, **overrides):
    body = {
        "sku": "HAM-001",
        "name": "Claw hammer",
        "description": "16 oz, fibreglass handle",
        "unit_price": "19.99",
        "stock": 12,
        "reorder_level": 3,
        "category": category_.pk,
    }
    body.update(overrides)
    return body


def test_create_product_records_the_opening_stock_in_the_ledger(manager_api):
    category = CategoryFactory(name="Tools")

    response = manager_api.post(URL, product_body(category))

    assert response.status_code == 201
    body = response.json()
    assert body["unit_price"] == "19.99"
    assert body["stock"] == 12
    assert body["is_low_stock"] is False
    assert body["category_name"] == "Tools"
    assert body["is_active"] is True
    assert (body["supplier"], body["average_cost"]) == (None, "0.0000")
    assert set(body) == {
        "id", "sku", "name", "description", "unit_price", "stock", "reorder_level",
        "is_low_stock", "category", "category_name", "is_active", "created_at",
        "updated_at",
        "tax_class", "supplier", "average_cost",  # v2
    }  # fmt: skip
    movement = StockMovement.objects.get(product_id=body["id"])
    assert (movement.quantity, movement.reason) == (12, "initial")
    assert movement.created_by == manager_api.user


def test_product_without_opening_stock_has_no_movement(manager_api):
    category = CategoryFactory()
    body = product_body(category)
    del body["stock"], body["sku"]

    response = manager_api.post(URL, body)

    assert response.status_code == 201
    assert response.json()["stock"] == 0
    assert response.json()["sku"] is None
    assert not StockMovement.objects.exists()


def test_stock_sent_on_update_is_ignored(manager_api):
    product = ProductFactory(stock=5)
    body = product_body(product.category, stock=500, name="Renamed", sku="X-1")

    put = manager_api.put(f"{URL}{product.pk}/", body)
    patch = manager_api.patch(f"{URL}{product.pk}/", {"stock": 0})

    assert put.status_code == 200 and patch.status_code == 200
    assert put.json()["name"] == "Renamed"
    assert patch.json()["stock"] == 5
    product.refresh_from_db()
    assert stock_of(product) == 5
    assert StockMovement.objects.filter(product=product).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_price", "0"),
        ("unit_price", "-1.00"),
        ("unit_price", "1.234"),
        ("unit_price", 1e9),
        ("unit_price", "100000000.00"),
        ("unit_price", "abc"),
        ("unit_price", "NaN"),
        ("unit_price", "Infinity"),
        ("unit_price", None),
        ("name", ""),
        ("name", "x" * 151),
        ("name", "x" * 10_000),
        ("name", "nul\x00byte"),
        ("stock", -1),
        ("stock", 10**12),
        ("stock", "abc"),
        ("stock", 1.5),
        ("reorder_level", -1),
        ("reorder_level", 10**12),
        ("category", 999_999),
        ("category", "abc"),
        ("category", 10**30),
        ("category", None),
        ("sku", "x" * 65),
        ("is_active", "maybe"),
    ],
)
def test_invalid_product_input_is_refused_and_nothing_written(
    manager_api, field, value
):
    category = CategoryFactory()

    response = manager_api.post(URL, product_body(category, **{field: value}))

    assert response.status_code == 400
    assert_error(response, 400)
    assert not Product.objects.exists()
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("body", [[1, 2], "text", 42, None])
def test_a_body_that_is_not_an_object_is_refused(manager_api, body):
    response = manager_api.post(URL, body, format="json")

    assert_error(response, 400)
    assert not Product.objects.exists()


def test_malformed_json_is_a_400_in_the_error_shape(manager_api):
    response = manager_api.generic(
        "POST", URL, '{"name": ', content_type="application/json"
    )

    assert_error(response, 400, code="parse_error")


@pytest.mark.parametrize("duplicate", ["HAM-001", "ham-001"])
def test_sku_is_unique_ignoring_case_when_given(manager_api, duplicate):
    ProductFactory(sku="HAM-001")
    ProductFactory(sku=None)
    category = CategoryFactory()

    clash = manager_api.post(URL, product_body(category, sku=duplicate))
    second_blank = manager_api.post(URL, product_body(category, sku=""))

    assert_error(clash, 400, code="unique", attr="sku")
    assert second_blank.status_code == 201
    assert Product.objects.filter(sku__isnull=True).count() == 2


def test_filters_search_and_ordering(manager_api):
    tools, paint = CategoryFactory(), CategoryFactory()
    hammer = ProductFactory(
        name="Hammer", category=tools, unit_price=Decimal("20.00"), stock=2,
        reorder_level=5,
    )  # fmt: skip
    saw = ProductFactory(name="Saw", category=tools, unit_price=Decimal("35.50"))
    brush = ProductFactory(
        name="Brush", category=paint, unit_price=Decimal("4.25"), is_active=False,
        description="For hammered finishes",
    )  # fmt: skip

    def ids(**params):
        return [p["id"] for p in manager_api.get(URL, params).json()["results"]]

    assert ids(category=tools.pk) == [hammer.pk, saw.pk]
    assert ids(is_active="false") == [brush.pk]
    assert ids(low_stock="true") == [hammer.pk]
    assert ids(min_price="20", max_price="35.50") == [hammer.pk, saw.pk]
    assert ids(search="hammer") == [brush.pk, hammer.pk]
    assert ids(search=saw.sku.lower()) == [saw.pk]
    assert ids(ordering="-unit_price") == [saw.pk, hammer.pk, brush.pk]
    assert ids(ordering="stock")[0] == hammer.pk


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=999",
        "category=abc",
        "category=1.5",
        "category=99999999999999999999999",
        "min_price=abc",
        "max_price=1e400",
        "min_price=NaN",
        "search=%00",
    ],
)
def test_malformed_query_parameters_are_a_4xx(manager_api, query):
    ProductFactory()

    response = manager_api.get(f"{URL}?{query}")

    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_page_size_defaults_to_50_and_is_capped_at_200(manager_api):
    category = CategoryFactory()
    Product.objects.bulk_create(
        Product(name=f"P{i}", unit_price=1, category=category) for i in range(210)
    )

    default = manager_api.get(URL).json()
    capped = manager_api.get(URL, {"page_size": 500}).json()
    second = manager_api.get(URL, {"page_size": 200, "page": 2}).json()

    assert default["count"] == 210
    assert len(default["results"]) == 50
    assert len(capped["results"]) == 200
    assert len(second["results"]) == 10
    assert second["next"] is None and second["previous"]


def test_product_list_costs_constant_queries(
    manager_api, django_assert_max_num_queries
):
    for category in CategoryFactory.create_batch(3):
        ProductFactory.create_batch(20, category=category)
    manager_api.get(URL)

    with django_assert_max_num_queries(6):
        small = manager_api.get(URL, {"page_size": 1})
    with django_assert_max_num_queries(6):
        large = manager_api.get(URL, {"page_size": 60})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 60


def test_deleting_a_product_on_no_order_removes_its_movements(manager_api):
    product = ProductFactory(stock=4)

    assert manager_api.delete(f"{URL}{product.pk}/").status_code == 204
    assert not Product.objects.exists()
    assert not StockMovement.objects.exists()


def test_deleting_a_product_on_an_order_is_refused_with_advice(manager_api):
    product = ProductFactory()
    OrderFactory(lines=[(product, 1)])

    response = manager_api.delete(f"{URL}{product.pk}/")

    body = assert_error(response, 409, code="protected")
    assert "deactivate" in body["errors"][0]["detail"]
    assert Product.objects.filter(pk=product.pk).exists()


def test_unknown_product_is_a_json_404(manager_api):
    for path in (f"{URL}999999/", f"{URL}abc/", f"{URL}99999999999999999999999/"):
        assert_error(manager_api.get(path), 404, code="not_found")


def test_product_update_refuses_stock_and_writes_nothing():
    from catalog.services import product_update

    product = ProductFactory(name="Ink", stock=5)

    with pytest.raises(TypeError, match="stock"):
        product_update(product=product, name="Toner", stock=0)

    saved = Product.objects.get(pk=product.pk)
    assert (saved.name, stock_of(saved)) == ("Ink", 5)


def test_product_update_stores_a_blank_sku_as_none_and_maps_a_duplicate():
    from catalog.services import product_update
    from store_project.exceptions import InvalidInput

    ProductFactory(sku="TAKEN-1")
    product = ProductFactory(sku="MINE-1")

    product_update(product=product, sku="")
    with pytest.raises(InvalidInput) as refusal:
        product_update(product=product, sku="taken-1")

    assert (refusal.value.field, refusal.value.code) == ("sku", "unique")
    assert Product.objects.get(pk=product.pk).sku is None
