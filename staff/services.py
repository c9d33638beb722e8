from store_project.db.errors import delete_or_refuse

from .models import Employee


def employee_create(
    *, name: str, position: str = "", is_active: bool = True, user=None
):
    return Employee.objects.create(
        name=name, position=position, is_active=is_active, user=user
    )


def employee_update(*, employee: Employee, **changes) -> Employee:
    for field, value in changes.items():
        setattr(employee, field, value)
    employee.save(update_fields=list(changes))
    return employee


def employee_delete(*, employee: Employee) -> None:
    delete_or_refuse(
        employee,
        f"Employee {employee.name!r} is linked to orders and cannot be "
        "deleted; deactivate them instead (is_active=false).",
    )
