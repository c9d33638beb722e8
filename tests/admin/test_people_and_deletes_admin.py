"""Clients and employees in the admin; deleting what is still referenced."""

import pytest
from django.urls import reverse

from catalog.models import Category, Product
from customers.models import Client
from staff.models import Employee
from tests.factories import (
    CategoryFactory,
    ClientFactory,
    EmployeeFactory,
    OrderFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_a_clerk_creates_a_client_whose_email_is_normalised(clerk):
    response = clerk.post(
        reverse("admin:customers_client_add"),
        {
            "name": "Ann Lee",
            "email": "  Ann.Lee@Example.COM ",
            "phone": "",
            "address": "",
        },
    )

    assert response.status_code == 302
    assert Client.objects.get().email == "ann.lee@example.com"


def test_a_duplicate_email_ignoring_case_is_a_form_error(clerk):
    ClientFactory(email="ann@example.com")

    response = clerk.post(
        reverse("admin:customers_client_add"),
        {"name": "Ann", "email": "ANN@example.com", "phone": "", "address": ""},
    )

    assert response.status_code == 200
    assert response.context["errors"]
    assert Client.objects.count() == 1


def test_clients_are_searched_by_name_email_and_phone_whole(clerk):
    ann = ClientFactory(name="Ann Lee", phone="555-0199")
    ClientFactory(name="Bob Roy", phone="555-0198")

    url = reverse("admin:customers_client_changelist")
    for term in ("ann", "client", "555 0199", "5550199"):
        found = clerk.get(url, {"q": term}).context["cl"].result_list
        assert ann in found, term
    # The phone is encrypted: only a whole number is found (digits compared).
    assert list(clerk.get(url, {"q": "0199"}).context["cl"].result_list) == []


def test_a_manager_links_an_employee_to_a_login_found_by_autocomplete(manager):
    account = UserFactory(username="jdoe")

    lookup = manager.get(
        reverse("admin:autocomplete"),
        {
            "term": "jdo",
            "app_label": "staff",
            "model_name": "employee",
            "field_name": "user",
        },
    )
    created = manager.post(
        reverse("admin:staff_employee_add"),
        {"name": "Jane Doe", "position": "Till", "is_active": "on", "user": account.pk},
    )

    assert lookup.status_code == 200
    assert [r["text"] for r in lookup.json()["results"]] == ["jdoe"]
    assert created.status_code == 302
    assert Employee.objects.get().user == account
    # The look-up does not open the user admin itself.
    assert manager.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_clerk_cannot_look_up_login_accounts(clerk):
    lookup = clerk.get(
        reverse("admin:autocomplete"),
        {
            "term": "",
            "app_label": "staff",
            "model_name": "employee",
            "field_name": "user",
        },
    )

    assert lookup.status_code == 403


@pytest.mark.parametrize(
    ("url_name", "make", "model"),
    [
        (
            "customers_client",
            lambda: OrderFactory(lines=[(ProductFactory(), 1)]).client,
            Client,
        ),
        (
            "catalog_category",
            lambda: ProductFactory().category,
            Category,
        ),
        (
            "catalog_product",
            lambda: OrderFactory(lines=[(ProductFactory(), 1)]).lines.get().product,
            Product,
        ),
        (
            "staff_employee",
            lambda: OrderFactory(employee=EmployeeFactory()).employee,
            Employee,
        ),
    ],
)
def test_deleting_something_still_referenced_shows_a_clear_refusal(
    manager, url_name, make, model
):
    obj = make()
    url = reverse(f"admin:{url_name}_delete", args=[obj.pk])

    page = manager.get(url)
    post = manager.post(url, {"post": "yes"})

    for response in (page, post):
        assert response.status_code == 200
        assert "would require deleting the following protected related objects" in (
            response.content.decode()
        )
    assert model.objects.filter(pk=obj.pk).exists()


def test_deleting_unreferenced_rows_goes_through(manager):
    client = ClientFactory()
    category = CategoryFactory()
    employee = EmployeeFactory()

    for url_name, obj in [
        ("customers_client", client),
        ("catalog_category", category),
        ("staff_employee", employee),
    ]:
        response = manager.post(
            reverse(f"admin:{url_name}_delete", args=[obj.pk]), {"post": "yes"}
        )
        assert response.status_code == 302, url_name

    assert not Client.objects.exists()
    assert not Category.objects.exists()
    assert not Employee.objects.exists()


def test_bulk_delete_refuses_referenced_rows_and_deletes_nothing(manager):
    referenced = OrderFactory().client
    free = ClientFactory()

    response = manager.post(
        reverse("admin:customers_client_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [referenced.pk, free.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert Client.objects.count() == 2
