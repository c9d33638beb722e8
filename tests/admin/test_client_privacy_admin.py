"""A client's export and anonymization from the back-office: managers only,
through the same services as the API."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from customers.models import Client
from sales.services import order_transition
from tests.admin.conftest import messages_of
from tests.factories import ClientFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
PHONE = "+1 819 555 0117"
ADDRESS = "9 Chemin du Lac\nGatineau QC"


def change_url(client):
    return reverse("admin:customers_client_change", args=[client.pk])


def export_url(client):
    return reverse("admin:customers_client_export", args=[client.pk])


def anonymize_url(client):
    return reverse("admin:customers_client_anonymize", args=[client.pk])


def test_a_manager_sees_export_and_anonymize_on_a_clients_page(manager):
    client = ClientFactory()

    page = manager.get(change_url(client)).content.decode()

    assert 'id="client-export-link"' in page and export_url(client) in page
    assert 'id="client-anonymize-link"' in page and anonymize_url(client) in page


def test_a_clerk_neither_sees_nor_reaches_them(clerk):
    client = ClientFactory(phone=PHONE)

    page = clerk.get(change_url(client)).content.decode()

    assert "client-export-link" not in page and "client-anonymize-link" not in page
    assert clerk.get(export_url(client)).status_code == 403
    assert clerk.post(anonymize_url(client)).status_code == 403
    assert Client.objects.get(pk=client.pk).phone == PHONE


def test_the_export_downloads_what_the_api_answers(manager, manager_api):
    client = ClientFactory(phone=PHONE, address=ADDRESS)
    OrderFactory(client=client, lines=[(ProductFactory(), 2)])

    response = manager.get(export_url(client))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="client-{client.pk}-export.json"'
    )
    downloaded = json.loads(response.content)
    answered = manager_api.get(f"/api/v1/clients/{client.pk}/export/").json()
    downloaded.pop("exported_at"), answered.pop("exported_at")
    assert downloaded == answered
    assert downloaded["client"]["address"] == ADDRESS
    assert len(downloaded["orders"][0]["lines"]) == 1


def test_anonymize_asks_first_then_erases(manager):
    client = ClientFactory(name="Lea Roy", phone=PHONE, address=ADDRESS)
    manager.post(change_url(client), {"name": "Léa Roy", "email": client.email})

    confirmation = manager.get(anonymize_url(client))
    assert confirmation.status_code == 200
    assert b"cannot be undone" in confirmation.content
    assert Client.objects.get(pk=client.pk).anonymized_at is None

    response = manager.post(anonymize_url(client), follow=True)

    assert f"Client #{client.pk} anonymized." in messages_of(response)
    stored = Client.objects.get(pk=client.pk)
    assert (stored.name, stored.phone, stored.address) == ("Anonymized client", "", "")
    assert stored.anonymized_at is not None
    # Its page is read-only now, without the button; the admin's history of
    # the client no longer names them.
    page = response.content.decode()
    assert "client-anonymize-link" not in page and 'name="name"' not in page
    reprs = set(
        LogEntry.objects.filter(object_id=str(client.pk)).values_list(
            "object_repr", flat=True
        )
    )
    assert reprs == {f"Anonymized client #{client.pk}"}


def test_a_refused_anonymization_is_reported_and_changes_nothing(manager):
    client = ClientFactory(phone=PHONE)
    order = OrderFactory(client=client, lines=[(ProductFactory(), 1)])
    order_transition(order_id=order.pk, action="confirm")

    response = manager.post(anonymize_url(client), follow=True)

    assert any(f"#{order.pk} (confirmed)" in m for m in messages_of(response))
    assert Client.objects.get(pk=client.pk).phone == PHONE

    manager.post(anonymize_url(ClientFactory()))  # fine
    twice = ClientFactory()
    manager.post(anonymize_url(twice))
    again = manager.post(anonymize_url(twice), follow=True)
    assert any("already anonymized" in m for m in messages_of(again))


def test_the_list_marks_and_filters_anonymized_clients(manager):
    kept = ClientFactory(name="Kept")
    gone = ClientFactory(name="Gone")
    manager.post(anonymize_url(gone))
    url = reverse("admin:customers_client_changelist")

    page = manager.get(url)
    anonymized = manager.get(url, {"anonymized": "yes"}).context["cl"].result_list
    present = manager.get(url, {"anonymized": "no"}).context["cl"].result_list

    assert page.content.decode().count('alt="True"') == 1
    assert list(anonymized) == [Client.objects.get(pk=gone.pk)]
    assert list(present) == [kept]


def test_an_anonymized_client_cannot_be_edited_from_the_admin(manager):
    client = ClientFactory()
    manager.post(anonymize_url(client))

    response = manager.post(
        change_url(client), {"name": "Back", "email": "back@example.com"}
    )

    assert response.status_code == 403
    assert Client.objects.get(pk=client.pk).name == "Anonymized client"


def test_the_phone_is_edited_on_one_line_and_saved_encrypted(clerk):
    from django.db import connection

    form = clerk.get(reverse("admin:customers_client_add")).content.decode()
    assert 'type="text" name="phone"' in form and 'maxlength="30"' in form

    clerk.post(
        reverse("admin:customers_client_add"),
        {"name": "Zoe", "email": "zoe@example.com", "phone": PHONE, "address": ADDRESS},
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT c::text FROM customers_client c")
        (row,) = cursor.fetchone()
    assert "0117" not in row and "Gatineau" not in row
    assert Client.objects.get().phone == PHONE


def test_the_list_action_asks_then_anonymizes_each_client_it_may(manager):
    free = ClientFactory(name="Free")
    busy = ClientFactory(name="Busy")
    order = OrderFactory(client=busy, lines=[(ProductFactory(), 1)])
    url = reverse("admin:customers_client_changelist")
    chosen = {"action": "anonymize_clients", "_selected_action": [free.pk, busy.pk]}

    asked = manager.post(url, chosen)
    assert asked.status_code == 200 and b"cannot be undone" in asked.content
    assert not Client.objects.filter(anonymized_at__isnull=False).exists()

    done = manager.post(url, {**chosen, "confirmed": "yes"}, follow=True)

    notes = messages_of(done)
    assert f"1 client anonymized: #{free.pk}." in notes
    assert any(f"#{order.pk} (draft)" in note for note in notes)
    assert Client.objects.get(pk=free.pk).anonymized_at is not None
    assert Client.objects.get(pk=busy.pk).name == "Busy"


def test_clerks_are_not_offered_the_list_action(clerk):
    ClientFactory()

    page = clerk.get(reverse("admin:customers_client_changelist"))

    assert b"anonymize_clients" not in page.content
