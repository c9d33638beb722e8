"""store_project.db.updates.model_update: the one way update services write."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category, Product
from store_project.db.updates import Change, model_update
from tests.factories import CategoryFactory, ProductFactory
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db

FIELDS = ("name", "unit_price", "category")


def test_it_saves_the_fields_given_and_answers_what_changed_before_and_after():
    old, new = CategoryFactory(), CategoryFactory()
    product = ProductFactory(name="Ink", unit_price=Decimal("2.00"), category=old)
    product = Product.objects.get(pk=product.pk)
    updated_before = product.updated_at

    changes = model_update(
        instance=product,
        fields=FIELDS,
        data={"name": "Toner", "unit_price": Decimal("2.00"), "category": new},
    )

    # A foreign key's change is told by its ids; an equal value is no change.
    assert changes == {
        "name": Change("Ink", "Toner"),
        "category": Change(old.pk, new.pk),
    }
    saved = Product.objects.get(pk=product.pk)
    assert (saved.name, saved.category_id) == ("Toner", new.pk)
    assert saved.updated_at > updated_before
    assert saved.updated_at == product.updated_at


def test_it_writes_only_the_given_fields_and_updated_at_in_one_statement():
    product = Product.objects.get(pk=ProductFactory(stock=5).pk)
    Product.objects.filter(pk=product.pk).update(reorder_level=9, description="kept")

    with CaptureQueriesContext(connection) as queries:
        model_update(instance=product, fields=FIELDS, data={"name": "Toner"})

    (update,) = queries.captured_queries
    assert update["sql"].startswith(f'UPDATE "{Product._meta.db_table}" SET')
    assert '"name"' in update["sql"] and '"updated_at"' in update["sql"]
    assert '"reorder_level"' not in update["sql"]
    assert '"description"' not in update["sql"]
    saved = Product.objects.get(pk=product.pk)
    assert (saved.name, saved.reorder_level, saved.description) == ("Toner", 9, "kept")


def test_a_value_equal_to_the_one_read_is_still_written():
    product = Product.objects.get(pk=ProductFactory(name="Ink").pk)
    Product.objects.filter(pk=product.pk).update(name="Changed meanwhile")

    changes = model_update(instance=product, fields=FIELDS, data={"name": "Ink"})

    assert changes == {}
    assert Product.objects.get(pk=product.pk).name == "Ink"


def test_a_model_without_updated_at_saves_only_its_fields():
    category = CategoryFactory(name="Paper")

    changes = model_update(instance=category, fields=("name",), data={"name": "Ink"})

    assert changes == {"name": Change("Paper", "Ink")}
    assert Category.objects.get(pk=category.pk).name == "Ink"


def test_no_field_given_writes_nothing(django_assert_num_queries):
    product = ProductFactory()

    with django_assert_num_queries(0):
        assert model_update(instance=product, fields=FIELDS, data={}) == {}


def test_a_field_not_allowed_is_refused_and_nothing_is_set_or_written(
    django_assert_num_queries,
):
    product = ProductFactory(name="Ink", stock=5)

    with django_assert_num_queries(0), pytest.raises(TypeError, match="stock"):
        model_update(instance=product, fields=FIELDS, data={"name": "X", "stock": 0})

    assert (product.name, stock_of(product)) == ("Ink", 5)
    saved = Product.objects.get(pk=product.pk)
    assert (saved.name, stock_of(saved)) == ("Ink", 5)
