from django.db import transaction

from audit import services as audit
from store_project.db.errors import delete_or_refuse
from store_project.db.updates import model_update

from .models import Employee

EMPLOYEE_EDITABLE_FIELDS = ("name", "position", "is_active", "user")


@transaction.atomic
def employee_create(
    *, name: str, position: str = "", is_active: bool = True, user=None
):
    employee = Employee.objects.create(
        name=name, position=position, is_active=is_active, user=user
    )
    audit.record_create(employee, EMPLOYEE_EDITABLE_FIELDS)
    return employee


@transaction.atomic
def employee_update(*, employee: Employee, **changes) -> Employee:
    changed = model_update(
        instance=employee, fields=EMPLOYEE_EDITABLE_FIELDS, data=changes
    )
    audit.record_update(employee, changed)
    return employee


@transaction.atomic
def employee_delete(*, employee: Employee) -> None:
    audit.record_delete(employee, EMPLOYEE_EDITABLE_FIELDS)
    delete_or_refuse(
        employee,
        f"Employee {employee.name!r} is linked to orders and cannot be "
        "deleted; deactivate them instead (is_active=false).",
    )


def role_names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


@transaction.atomic
def user_roles_set(*, user, roles, by=None) -> None:
    """Give ``user`` exactly ``roles`` (groups); a change is audited."""
    before = role_names(user)
    user.groups.set(roles)
    after = sorted(group.name for group in roles)
    if after != before:
        audit.record(
            action="assign_roles",
            instance=user,
            changes={"roles": (before, after)},
            by=by,
        )
