"""Admin tests: Django's test client logged in as a user of each role."""

import pytest
from django.test import Client

from tests.conftest import ensure_roles
from tests.factories import UserFactory


@pytest.fixture
def admin_as(db):
    """``admin_as("clerk")`` is a test client logged in as a new clerk."""

    def make(*roles: str, **user_fields) -> Client:
        ensure_roles()
        user = UserFactory(roles=list(roles), **user_fields)
        if not roles:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def manager(admin_as):
    return admin_as("manager")


@pytest.fixture
def clerk(admin_as):
    return admin_as("clerk")


@pytest.fixture
def warehouse(admin_as):
    return admin_as("warehouse")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
