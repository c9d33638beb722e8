"""Shared fixtures, and the PostgreSQL-only marker's skip rule."""

import os

import pytest
from rest_framework.test import APIClient


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
