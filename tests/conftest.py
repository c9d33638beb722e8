"""Shared fixtures."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def api_client():
    return APIClient()


def client_for(user) -> APIClient:
    """An API client that authenticates with the user's real token."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.user = user
    return client


def ensure_roles() -> None:
    """Transactional tests flush the groups the migration made; remake them."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from staff.roles import ROLES, sync_roles

    if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
        sync_roles(apps)


@pytest.fixture
def as_role(db):
    """``as_role("clerk")`` is an API client logged in as a new clerk."""

    def make(*roles: str, **user_fields) -> APIClient:
        ensure_roles()
        return client_for(UserFactory(roles=list(roles), **user_fields))

    return make


@pytest.fixture
def manager_api(as_role):
    return as_role("manager")


@pytest.fixture
def superuser_api(db):
    return client_for(UserFactory(is_superuser=True, is_staff=True))
