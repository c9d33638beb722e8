"""POST /api/v1/clients/import/: a CSV file of clients, keyed by e-mail."""

import pytest
from django.db import connection

from audit.models import AuditEntry
from customers.models import Client
from tests.factories import ClientFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/clients/import/"
PHONE = "+1 (514) 555-0199"


def post(api, text: str | bytes, *, dry_run: bool | None = None):
    body = text.encode() if isinstance(text, str) else text
    url = URL if dry_run is None else f"{URL}?dry_run={str(dry_run).lower()}"
    return api.post(url, body, content_type="text/csv")


def search(api, text) -> list[str]:
    response = api.get("/api/v1/clients/", {"search": text})
    return [c["email"] for c in response.json()["results"]]


def snapshot() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c::text FROM customers_client c ORDER BY id")
        rows = cursor.fetchall()
    return {"clients": rows, "audit": AuditEntry.objects.count()}


def test_imported_clients_are_encrypted_and_found_by_phone(manager_api):
    response = post(
        manager_api,
        "email,name,phone,address\n"
        f'Ann@Example.com,Ann Lee,{PHONE},"1 Main St\nMontréal"\n'
        "bob@example.com,Bob,,\n",
    )

    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "dry_run": False,
    }
    ann = Client.objects.get(email="ann@example.com")  # stored lower-cased
    assert (ann.phone, ann.address) == (PHONE, "1 Main St\nMontréal")
    with connection.cursor() as cursor:
        cursor.execute("SELECT c::text, phone, address FROM customers_client c")
        rows = cursor.fetchall()
    for row, phone, address in rows:
        assert "555" not in row and "Main St" not in row
        assert phone == "" or phone.startswith("gAAAAA")
        assert address == "" or address.startswith("gAAAAA")
    # The phone's digest is written as a client_create writes it.
    assert search(manager_api, "1 514 555 0199") == ["ann@example.com"]
    assert search(manager_api, "15145550199") == ["ann@example.com"]
    assert Client.objects.get(email="bob@example.com").phone_digest == ""


def test_an_import_updates_by_email_ignoring_case(manager_api):
    ann = ClientFactory(name="Ann", email="ann@example.com", phone="514 555 0100")
    ClientFactory(name="Bob", email="bob@example.com", address="Old")

    response = post(
        manager_api,
        # Empty cells leave the fields as they are.
        f"email,name,phone,address\nANN@example.com,,{PHONE},\nbob@example.com,Bob,,\n",
    )

    assert response.json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "dry_run": False,
    }
    ann.refresh_from_db()
    assert (ann.name, ann.email, ann.phone) == ("Ann", "ann@example.com", PHONE)
    assert search(manager_api, PHONE) == ["ann@example.com"]
    assert search(manager_api, "514 555 0100") == []
    assert Client.objects.get(email="bob@example.com").address == "Old"


def test_dry_run_writes_nothing(manager_api):
    ClientFactory(email="ann@example.com", name="Ann")
    before = snapshot()

    response = post(
        manager_api,
        "email,name\nann@example.com,Annie\nnew@example.com,New\n",
        dry_run=True,
    )

    assert response.json() == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "dry_run": True,
    }
    assert snapshot() == before


def test_one_bad_row_refuses_the_file_and_writes_nothing(manager_api):
    ClientFactory(email="ann@example.com")
    before = snapshot()

    response = post(
        manager_api,
        "email,name,phone\n"
        "ok@example.com,Fine,\n"
        "not-an-email,Bad,\n"
        f"ann@example.com,,{'9' * 31}\n"
        "new@example.com,,\n",
    )

    body = assert_error(response, 400)
    assert [e["attr"] for e in body["errors"]] == [
        "row 2: email",
        "row 3: phone",
        "row 4: name",
    ]
    assert snapshot() == before


def test_an_email_twice_in_the_file_names_both_rows(manager_api):
    response = post(
        manager_api, "email,name\nann@example.com,Ann\n Ann@Example.COM ,Annie\n"
    )

    body = assert_error(response, 400, code="duplicate_key", attr="row 2: email")
    assert "rows 1 and 2" in body["errors"][0]["detail"]
    assert not Client.objects.exists()


def test_an_unknown_column_is_refused(manager_api):
    response = post(manager_api, "email,name,birthday\na@example.com,A,1990-01-01\n")

    assert_error(response, 400, code="unknown_column", attr="file")
    assert not Client.objects.exists()


def test_formula_looking_text_is_stored_as_text(manager_api):
    response = post(
        manager_api, 'email,name,address\na@example.com,=HYPERLINK("x"),@A1\n'
    )

    assert response.status_code == 200, response.content
    client = Client.objects.get()
    assert (client.name, client.address) == ('=HYPERLINK("x")', "@A1")


def test_an_anonymized_client_is_not_updated(manager_api):
    client = ClientFactory()
    manager_api.post(f"/api/v1/clients/{client.pk}/anonymize/")
    email = Client.objects.get().email

    response = post(manager_api, f"email,name\n{email},Back again\n")

    assert_error(response, 400, code="anonymized", attr="row 1: email")
    assert Client.objects.get().name == "Anonymized client"


@pytest.mark.parametrize("role", ["manager", "clerk"])
def test_managers_and_clerks_import_clients(as_role, role):
    response = post(as_role(role), "email,name\na@example.com,A\n")

    assert response.status_code == 200
    assert Client.objects.count() == 1


def test_warehouse_staff_may_not_import_clients(as_role):
    assert_error(post(as_role("warehouse"), "email,name\na@example.com,A\n"), 403)
    assert not Client.objects.exists()


def test_imported_clients_are_in_the_audit_log_without_their_values(manager_api):
    ann = ClientFactory(email="ann@example.com", name="Ann")
    before = set(AuditEntry.objects.values_list("pk", flat=True))

    post(manager_api, "email,name\nann@example.com,Annie\nbob@example.com,Bob\n")

    entries = AuditEntry.objects.exclude(pk__in=before).order_by("pk")
    bob = Client.objects.get(email="bob@example.com")
    assert [(e.action, e.object_id, e.actor) for e in entries] == [
        ("create", bob.pk, manager_api.user.username),
        ("update", ann.pk, manager_api.user.username),
    ]
    assert entries[0].changes["email"] == ["[redacted]", "[redacted]"]
    assert entries[1].changes == {"name": ["[redacted]", "[redacted]"]}
