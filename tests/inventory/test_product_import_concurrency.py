"""Imports racing each other and the API, on PostgreSQL, with real locks."""

import pytest

from audit.models import AuditEntry
from catalog.models import Category, Product
from tests.factories import ProductFactory, ensure_default_location
from tests.helpers import assert_ledger_exact, run_concurrently, stock_of

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/products/import/"


def post(api, text: str):
    def send():
        response = api.post(URL, text.encode(), content_type="text/csv")
        return response.status_code, response.json()

    return send


def test_two_imports_creating_the_same_sku_one_wins_the_other_is_a_400(as_role):
    ensure_default_location()
    managers = [as_role("manager"), as_role("manager")]
    text = "sku,name,unit_price,category,stock\nRACE-1,{},1.00,Race,5\n"

    answers = run_concurrently(
        [
            post(managers[0], text.format("First")),
            post(managers[1], text.format("Second")),
        ]
    )

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 400], answers
    refused = next(body for status, body in answers if status == 400)
    assert refused["errors"][0]["code"] == "unique"
    product = Product.objects.get()
    assert stock_of(product) == 5  # the loser's opening stock was rolled back
    assert Category.objects.filter(name="Race").count() == 1
    assert AuditEntry.objects.filter(object_type="product").count() == 1
    assert_ledger_exact()


def test_an_import_and_an_api_update_of_one_product_run_one_after_the_other(as_role):
    ensure_default_location()
    product = ProductFactory(sku="RACE-1", name="Before", unit_price="5.00")
    manager = as_role("manager")

    def patch():
        response = manager.patch(
            f"/api/v1/products/{product.pk}/", {"name": "From the API"}, format="json"
        )
        return response.status_code, response.json()

    answers = run_concurrently(
        [post(as_role("manager"), "sku,unit_price\nRACE-1,6.00\n"), patch]
    )

    assert [status for status, _ in answers] == [200, 200]
    product.refresh_from_db()
    # Each wrote its own field over the other's, not over a stale copy.
    assert (product.name, str(product.unit_price)) == ("From the API", "6.00")
