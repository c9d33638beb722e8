import pytest

from staff.models import Employee
from tests.factories import EmployeeFactory, OrderFactory, UserFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/employees/"


def test_employee_shows_the_linked_username_read_only(manager_api):
    linked = EmployeeFactory(name="Dana", user=UserFactory(username="dana"))
    EmployeeFactory(name="Eli")

    listed = manager_api.get(URL).json()["results"]
    attempt = manager_api.patch(f"{URL}{linked.pk}/", {"username": "someone-else"})

    assert [(e["name"], e["username"]) for e in listed] == [
        ("Dana", "dana"),
        ("Eli", None),
    ]
    assert set(listed[0]) == {
        "id", "name", "position", "is_active", "username", "locations",
        "home_location",
    }  # fmt: skip
    assert attempt.status_code == 200
    assert attempt.json()["username"] == "dana"


def test_create_and_deactivate_an_employee(manager_api):
    created = manager_api.post(URL, {"name": "Fay", "position": "Cashier"})
    assert created.status_code == 201
    assert created.json()["is_active"] is True
    assert created.json()["username"] is None

    patched = manager_api.patch(f"{URL}{created.json()['id']}/", {"is_active": False})

    assert patched.json()["is_active"] is False
    active = manager_api.get(URL, {"is_active": "true"}).json()
    assert active["count"] == 0


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 101}, {"position": 3}])
def test_invalid_employee_input(manager_api, body):
    assert_error(manager_api.post(URL, {"name": "Gus", **body}), 400)
    assert not Employee.objects.exists()


def test_deleting_an_employee_linked_to_orders_is_refused(manager_api):
    employee = EmployeeFactory()
    OrderFactory(employee=employee)

    body = assert_error(manager_api.delete(f"{URL}{employee.pk}/"), 409)

    assert "deactivate" in body["errors"][0]["detail"]
    assert Employee.objects.filter(pk=employee.pk).exists()


def test_employee_update_refuses_fields_that_are_not_editable():
    from staff.services import employee_update

    employee = EmployeeFactory(name="Gus")

    with pytest.raises(TypeError, match="pk"):
        employee_update(employee=employee, name="Hal", pk=employee.pk + 1)

    assert Employee.objects.get(pk=employee.pk).name == "Gus"


def test_employee_update_links_a_login_account():
    from staff.services import employee_update

    employee = EmployeeFactory()
    user = UserFactory()

    employee_update(employee=employee, user=user, is_active=False)

    saved = Employee.objects.get(pk=employee.pk)
    assert (saved.user, saved.is_active) == (user, False)
