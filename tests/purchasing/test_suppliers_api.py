"""Suppliers through the API, and the products' preferred supplier and cost."""

import pytest

from audit.models import AuditEntry
from catalog.models import Supplier
from tests.factories import ProductFactory, PurchaseOrderFactory, SupplierFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/suppliers/"


def test_create_answers_every_field_with_the_defaults(manager_api):
    response = manager_api.post(
        URL, {"name": "  Acme Wholesale ", "email": "orders@acme.example"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Acme Wholesale",
        "email": "orders@acme.example",
        "phone": "",
        "address": "",
        "lead_time_days": 7,
        "is_active": True,
        "created_at": body["created_at"],
    }
    assert AuditEntry.objects.filter(
        object_type="supplier", object_id=body["id"], action="create"
    ).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "A", "lead_time_days": -1},
        {"name": "A", "lead_time_days": 366},
        {"name": "A", "lead_time_days": "soon"},
        {"name": "A", "email": "not-an-email"},
        {"name": "A", "phone": "1" * 31},
        {"name": "A", "is_active": "yes"},
        {"name": 5},
    ],
)
def test_bad_supplier_input_is_400_and_nothing_written(manager_api, body):
    assert_error(manager_api.post(URL, body, format="json"), 400)
    assert not Supplier.objects.exists()


def test_names_are_unique_ignoring_case(manager_api):
    SupplierFactory(name="Acme")

    response = manager_api.post(URL, {"name": "ACME"})

    assert_error(response, 400, code="unique", attr="name")
    assert Supplier.objects.count() == 1


def test_lead_time_bounds_are_accepted(manager_api):
    for days in (0, 365):
        response = manager_api.post(URL, {"name": f"S{days}", "lead_time_days": days})
        assert response.status_code == 201, response.content


def test_update_is_audited(manager_api):
    supplier = SupplierFactory(lead_time_days=7)

    response = manager_api.patch(f"{URL}{supplier.pk}/", {"lead_time_days": 3})

    assert response.json()["lead_time_days"] == 3
    entry = AuditEntry.objects.get(object_type="supplier", action="update")
    assert entry.changes == {"lead_time_days": [7, 3]}


def test_deleting_a_supplier_with_purchase_orders_is_409(manager_api):
    supplier = SupplierFactory()
    PurchaseOrderFactory(supplier=supplier)

    response = manager_api.delete(f"{URL}{supplier.pk}/")

    assert_error(response, 409, code="protected")
    assert Supplier.objects.filter(pk=supplier.pk).exists()
    assert not AuditEntry.objects.filter(object_type="supplier", action="delete")


def test_deleting_a_supplier_never_ordered_from_frees_its_products(manager_api):
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier)

    assert manager_api.delete(f"{URL}{supplier.pk}/").status_code == 204

    product.refresh_from_db()
    assert product.supplier is None


def test_search_and_active_filter(manager_api):
    SupplierFactory(name="Maple Foods")
    SupplierFactory(name="Birch Tools", is_active=False)

    def names(**query):
        return [row["name"] for row in manager_api.get(URL, query).json()["results"]]

    assert names(search="maple") == ["Maple Foods"]
    assert names(is_active="false") == ["Birch Tools"]


def test_products_carry_their_supplier_and_an_average_cost(manager_api):
    supplier = SupplierFactory()
    product = ProductFactory()

    patched = manager_api.patch(
        f"/api/v1/products/{product.pk}/",
        {"supplier": supplier.pk, "average_cost": "99.0000"},
    )

    assert patched.status_code == 200, patched.content
    assert patched.json()["supplier"] == supplier.pk
    assert patched.json()["average_cost"] == "0.0000"  # read-only
    listed = manager_api.get("/api/v1/products/").json()["results"][0]
    assert (listed["supplier"], listed["average_cost"]) == (supplier.pk, "0.0000")
    assert AuditEntry.objects.get(object_type="product", action="update").changes == {
        "supplier": [None, supplier.pk]
    }


def test_a_product_created_with_a_supplier(manager_api):
    supplier = SupplierFactory()
    category = ProductFactory().category

    response = manager_api.post(
        "/api/v1/products/",
        {
            "name": "New",
            "unit_price": "1.00",
            "category": category.pk,
            "supplier": supplier.pk,
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["supplier"] == supplier.pk
    assert_error(
        manager_api.post(
            "/api/v1/products/",
            {
                "name": "N",
                "unit_price": "1.00",
                "category": category.pk,
                "supplier": 999_999,
            },
        ),
        400,
        attr="supplier",
    )
