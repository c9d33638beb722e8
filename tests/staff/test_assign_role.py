import pytest
from django.core.management import CommandError, call_command

from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_assign_role_gives_the_role_and_admin_access():
    user = UserFactory(username="dana")
    api = client_for(user)
    assert api.get("/api/v1/products/").status_code == 403

    call_command("assign_role", "dana", "warehouse")

    user.refresh_from_db()
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["warehouse"]
    assert client_for(user).get("/api/v1/products/").status_code == 200


def test_assign_role_can_take_a_role_away():
    user = UserFactory(username="eli", roles=["clerk", "warehouse"])

    call_command("assign_role", "eli", "clerk", "--remove")

    assert list(user.groups.values_list("name", flat=True)) == ["warehouse"]


def test_assign_role_refuses_unknown_users_and_roles():
    UserFactory(username="fay")

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("assign_role", "ghost", "clerk")
    with pytest.raises(CommandError):
        call_command("assign_role", "fay", "owner")
