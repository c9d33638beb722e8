from store_project.db.errors import delete_or_refuse
from store_project.db.updates import model_update

from .models import Employee

EMPLOYEE_EDITABLE_FIELDS = ("name", "position", "is_active", "user")


def employee_create(
    *, name: str, position: str = "", is_active: bool = True, user=None
):
    return Employee.objects.create(
        name=name, position=position, is_active=is_active, user=user
    )


def employee_update(*, employee: Employee, **changes) -> Employee:
    model_update(instance=employee, fields=EMPLOYEE_EDITABLE_FIELDS, data=changes)
    return employee


def employee_delete(*, employee: Employee) -> None:
    delete_or_refuse(
        employee,
        f"Employee {employee.name!r} is linked to orders and cannot be "
        "deleted; deactivate them instead (is_active=false).",
    )
