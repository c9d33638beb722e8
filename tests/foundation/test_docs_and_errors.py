import re

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

DOC_PATHS = ["/api/schema/", "/docs", "/redoc"]


def assert_error_shape(response, status, error_type):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == error_type
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    return body


@pytest.mark.parametrize("path", DOC_PATHS)
def test_docs_are_public_in_dev_and_staging(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_only_from_the_store(client, path):
    """Swagger UI and ReDoc are the store's static files, not a CDN's."""
    response = client.get(path)
    urls = re.findall(r'(?:src|href)="([^"]*)"', response.content.decode())
    assert urls
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", DOC_PATHS)
@override_settings(DOCS_ENABLED=False, DOCS_STAFF_ONLY=True)
def test_docs_answer_404_in_prod_unless_enabled(client, path):
    assert_error_shape(client.get(path), 404, "client_error")


@pytest.mark.django_db
@pytest.mark.parametrize("path", DOC_PATHS)
@override_settings(DOCS_ENABLED=True, DOCS_STAFF_ONLY=True)
def test_enabled_docs_in_prod_are_for_staff_only(client, path):
    assert client.get(path).status_code == 404

    clerk = User.objects.create_user("clerk", password="pw-123456")
    client.force_login(clerk)
    assert client.get(path).status_code == 404

    staff = User.objects.create_user("boss", password="pw-123456", is_staff=True)
    client.force_login(staff)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v2/", "/api/", "/nothing-here"]
)
def test_unknown_paths_answer_json_404(client, path):
    body = assert_error_shape(client.get(path), 404, "client_error")
    assert body["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("query", ["search=a%00b", "a%00=1", "page=1&x=%00"])
def test_nul_in_query_parameters_is_a_400(client, query):
    assert_error_shape(client.get(f"/api/v1/anything/?{query}"), 400, "client_error")


def test_no_operation_is_described_by_a_docstring_written_for_developers(client):
    from store_project.api.viewsets import ServiceModelViewSet

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    internal = ServiceModelViewSet.__doc__.split("\n")[0]
    descriptions = [
        operation.get("description", "")
        for path in schema["paths"].values()
        for operation in path.values()
    ]

    assert descriptions
    assert not [d for d in descriptions if internal in d]
