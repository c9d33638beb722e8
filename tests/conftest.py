"""Shared fixtures, and the PostgreSQL-only marker's skip rule."""

import os

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError(
            "REQUIRE_POSTGRES=1 but the tests would run on "
            f"{connection.vendor}; set DATABASE_URL to a PostgreSQL server."
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL (running on SQLite)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


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
