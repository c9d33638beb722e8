from collections.abc import Iterable

from django.db import transaction

from audit import services as audit
from inventory.models import Location
from store_project.db.errors import delete_or_refuse
from store_project.db.updates import model_update
from store_project.exceptions import InvalidInput

from .models import Employee

EMPLOYEE_EDITABLE_FIELDS = ("name", "position", "is_active", "user", "home_location")


@transaction.atomic
def employee_create(
    *,
    name: str,
    position: str = "",
    is_active: bool = True,
    user=None,
    locations: Iterable[Location] = (),
    home_location: Location | None = None,
) -> Employee:
    locations = list(locations)
    _check_home(home_location, locations)
    employee = Employee.objects.create(
        name=name,
        position=position,
        is_active=is_active,
        user=user,
        home_location=home_location,
    )
    employee.locations.set(locations)
    audit.record_create(
        employee,
        EMPLOYEE_EDITABLE_FIELDS,
        also={"locations": sorted(loc.pk for loc in locations)},
    )
    return employee


@transaction.atomic
def employee_update(
    *, employee: Employee, locations: Iterable[Location] | None = None, **changes
) -> Employee:
    """Change an employee; ``locations``, when given, replace the old ones."""
    before = sorted(employee.locations.values_list("pk", flat=True))
    if locations is not None:
        locations = list(locations)
    home = changes.get("home_location", employee.home_location)
    works_at = locations if locations is not None else list(employee.locations.all())
    _check_home(home, works_at)
    changed = dict(
        model_update(instance=employee, fields=EMPLOYEE_EDITABLE_FIELDS, data=changes)
    )
    if locations is not None:
        employee.locations.set(locations)
        after = sorted(loc.pk for loc in locations)
        if after != before:
            changed["locations"] = (before, after)
    audit.record_update(employee, changed)
    return employee


def _check_home(home: Location | None, locations: list[Location]) -> None:
    if home is not None and home.pk not in {loc.pk for loc in locations}:
        raise InvalidInput(
            f"The home location {home.code} must be one of the employee's locations.",
            code="not_in_locations",
            field="home_location",
        )


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
