import time

import pytest
from django.db import connections
from django.test import override_settings


def test_health_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise.
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "environment": "dev", "version": "0.1.0"}


@pytest.mark.django_db
def test_health_db_answers_ok_when_a_query_succeeds(client):
    response = client.get("/health/db")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_health_db_answers_503_quickly_when_the_database_is_unreachable(client):
    """A port nobody listens on: the check fails fast and says so in JSON."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        started = time.monotonic()
        response = client.get("/health/db")
        elapsed = time.monotonic() - started
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "unavailable"
    assert elapsed < 3
    # Once the database is back, the same process answers ok again.
    assert client.get("/health/db").status_code == 200


def test_request_id_is_taken_from_the_header_and_echoed(client):
    response = client.get("/health", headers={"X-Request-ID": "till-7.abc"})

    assert response["X-Request-ID"] == "till-7.abc"


def test_request_id_is_generated_when_missing_or_unsafe(client):
    generated = client.get("/health")
    unsafe = client.get("/health", headers={"X-Request-ID": "a b\nc"})

    assert len(generated["X-Request-ID"]) == 32
    assert unsafe["X-Request-ID"] != "a b\nc"


@override_settings(DJANGO_ENV="staging", APP_VERSION="1.2.3")
def test_health_reports_environment_and_version(client):
    assert client.get("/health").json() == {
        "status": "ok",
        "environment": "staging",
        "version": "1.2.3",
    }
