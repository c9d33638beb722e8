import pytest

from catalog.models import Category
from tests.factories import CategoryFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/categories/"


def test_create_and_list_categories_with_their_product_count(manager_api):
    created = manager_api.post(URL, {"name": "Hardware"})
    assert created.status_code == 201
    category_id = created.json()["id"]
    assert created.json() == {"id": category_id, "name": "Hardware", "product_count": 0}
    ProductFactory.create_batch(3, category=Category.objects.get(pk=category_id))

    listed = manager_api.get(URL).json()

    assert listed["count"] == 1
    assert listed["results"] == [
        {"id": category_id, "name": "Hardware", "product_count": 3}
    ]


@pytest.mark.parametrize("duplicate", ["hardware", "HARDWARE", "  Hardware  "])
def test_category_names_are_unique_ignoring_case(manager_api, duplicate):
    CategoryFactory(name="Hardware")

    response = manager_api.post(URL, {"name": duplicate})

    assert_error(response, 400, code="unique", attr="name")
    assert Category.objects.count() == 1


def test_renaming_onto_another_name_ignoring_case_is_refused(manager_api):
    CategoryFactory(name="Hardware")
    paint = CategoryFactory(name="Paint")

    response = manager_api.patch(f"{URL}{paint.pk}/", {"name": "HARDWARE"})

    assert_error(response, 400, attr="name")
    paint.refresh_from_db()
    assert paint.name == "Paint"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, None, 12, ["a"], "a\x00b"])
def test_invalid_category_names_are_refused(manager_api, name):
    response = manager_api.post(URL, {"name": name})

    assert response.status_code == 400
    assert_error(response, 400)
    assert not Category.objects.exists()


def test_deleting_a_category_with_products_is_refused_with_advice(manager_api):
    product = ProductFactory()

    response = manager_api.delete(f"{URL}{product.category_id}/")

    body = assert_error(response, 409, code="protected")
    assert "products" in body["errors"][0]["detail"]
    assert Category.objects.filter(pk=product.category_id).exists()


def test_deleting_an_empty_category(manager_api):
    category = CategoryFactory()

    assert manager_api.delete(f"{URL}{category.pk}/").status_code == 204
    assert not Category.objects.exists()


def test_search_and_ordering(manager_api):
    CategoryFactory(name="Garden tools")
    CategoryFactory(name="Paint")
    busy = CategoryFactory(name="Tools")
    ProductFactory.create_batch(2, category=busy)

    found = manager_api.get(URL, {"search": "tool"}).json()["results"]
    by_count = manager_api.get(URL, {"ordering": "-product_count"}).json()["results"]

    assert [c["name"] for c in found] == ["Garden tools", "Tools"]
    assert by_count[0]["name"] == "Tools"


def test_category_list_costs_the_same_queries_for_any_page_size(
    manager_api, django_assert_max_num_queries
):
    for category in CategoryFactory.create_batch(30):
        OrderFactory(lines=[(ProductFactory(category=category), 1)])
    manager_api.get(URL)  # warm the permission cache of this user object

    with django_assert_max_num_queries(6):
        small = manager_api.get(URL, {"page_size": 2})
    with django_assert_max_num_queries(6):
        large = manager_api.get(URL, {"page_size": 30})

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 30


def test_category_update_without_a_name_writes_nothing(django_assert_num_queries):
    from catalog.services import category_update

    category = CategoryFactory(name="Paper")

    with django_assert_num_queries(0):
        category_update(category=category)

    assert Category.objects.get(pk=category.pk).name == "Paper"


def test_category_update_maps_a_duplicate_name_to_the_name_field():
    from catalog.services import category_update
    from store_project.exceptions import InvalidInput

    CategoryFactory(name="Ink")
    category = CategoryFactory(name="Paper")

    with pytest.raises(InvalidInput) as refusal:
        category_update(category=category, name="INK")

    assert (refusal.value.field, refusal.value.code) == ("name", "unique")
    assert Category.objects.get(pk=category.pk).name == "Paper"
