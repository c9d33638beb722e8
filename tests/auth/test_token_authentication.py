"""The one-query token authentication: the same answers as DRF and ModelBackend."""

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from inventory.selectors import location_scope
from staff.authentication import TokenAuthentication
from staff.models import Employee
from tests.conftest import client_for, ensure_roles
from tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _both(user):
    key = Token.objects.get_or_create(user=user)[0].key
    ours, token = TokenAuthentication().authenticate_credentials(key)
    theirs, _ = DrfTokenAuthentication().authenticate_credentials(key)
    return ours, theirs, token


def test_permissions_are_those_of_the_model_backend():
    ensure_roles()
    user = UserFactory(roles=["clerk", "warehouse"])
    user.user_permissions.add(Permission.objects.get(codename="view_reports"))

    ours, theirs, token = _both(user)

    assert ours.get_all_permissions() == theirs.get_all_permissions()
    assert ours.get_user_permissions() == {"sales.view_reports"}
    assert ours.has_perm("catalog.adjust_stock")
    assert not ours.has_perm("catalog.add_product")
    assert token.user is ours
    assert {f.attname: getattr(ours, f.attname) for f in type(ours)._meta.fields} == {
        f.attname: getattr(theirs, f.attname) for f in type(theirs)._meta.fields
    }


def test_a_user_in_no_group_has_no_permission():
    ours, theirs, _ = _both(UserFactory())

    assert ours.get_all_permissions() == set() == theirs.get_all_permissions()


def test_a_superuser_keeps_every_permission():
    ours, _, _ = _both(UserFactory(is_superuser=True))

    assert ours.has_perm("catalog.add_product")
    assert len(ours.get_all_permissions()) == Permission.objects.count()


def test_the_employee_record_comes_along():
    user = UserFactory()
    employee = Employee.objects.create(name="Ann", user=user)

    ours, _, _ = _both(user)

    assert ours.employee == employee
    assert ours.employee.user is ours
    assert getattr(_both(UserFactory())[0], "employee", None) is None


@pytest.mark.parametrize("roles", [["clerk"], ["manager"], []])
def test_the_location_scope_comes_along_with_no_query_of_its_own(
    roles, django_assert_num_queries
):
    ensure_roles()
    north, south, _ = (LocationFactory() for _ in range(3))
    user = UserFactory(roles=roles)
    Employee.objects.create(name="Ann", user=user).locations.set([north, south])
    alone = UserFactory(roles=roles)  # no employee record: no scope

    ours, theirs, _ = _both(user)
    unscoped = _both(alone)[0]
    with django_assert_num_queries(0):
        scope = location_scope(ours)
        assert location_scope(unscoped) is None

    assert scope == location_scope(theirs)
    assert scope == (None if roles == ["manager"] else {north.pk, south.pk})


def test_unknown_token_and_inactive_user_are_refused():
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials("0" * 40)
    user = UserFactory(is_active=False)
    key = Token.objects.create(user=user).key
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials(key)


def test_a_role_change_applies_to_the_next_request():
    ensure_roles()
    user = UserFactory(roles=["warehouse"])
    api = client_for(user)
    assert api.post("/api/v1/clients/", {}, format="json").status_code == 403

    user.groups.add(Group.objects.get(name="clerk"))

    assert api.post("/api/v1/clients/", {}, format="json").status_code == 400
    user.groups.clear()
    assert api.get("/api/v1/products/").status_code == 403
