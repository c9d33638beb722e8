"""Contract v2's privacy: a client's export and anonymization, over the API."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from customers.models import Client
from customers.services import client_anonymize
from sales.models import Order
from sales.services import order_create, order_transition
from tests.factories import ClientFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error, other_session, wait_for_a_lock_wait

URL = "/api/v1/clients/"
PHONE = "+1 514 555 0142"
ADDRESS = "77 Rue Saint-Denis\nMontréal QC H2X 3K8"


def export(api, client_id):
    return api.get(f"{URL}{client_id}/export/")


def anonymize(api, client_id, **headers):
    return api.post(f"{URL}{client_id}/anonymize/", headers=headers)


def order_in(status: str, client: Client, product, quantity=1) -> Order:
    order = OrderFactory(client=client, lines=[(product, quantity)])
    path = {
        "draft": [],
        "confirmed": ["confirm"],
        "shipped": ["confirm", "ship"],
        "delivered": ["confirm", "ship", "deliver"],
        "cancelled": ["cancel"],
    }[status]
    for action in path:
        order_transition(order_id=order.pk, action=action)
    return Order.objects.get(pk=order.pk)


# --- Export ------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_holds_the_client_and_its_orders_with_their_lines(manager_api):
    client = ClientFactory(name="Ann Lee", phone=PHONE, address=ADDRESS)
    pen = ProductFactory(name="Pen", unit_price=Decimal("0.99"), stock=100)
    ink = ProductFactory(name="Ink", unit_price=Decimal("12.35"), stock=100)
    first = order_in("delivered", client, pen, quantity=3)
    second = OrderFactory(client=client, lines=[(ink, 2), (pen, 1)])
    OrderFactory(lines=[(pen, 1)])  # another client's

    response = export(manager_api, client.pk)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"client", "orders", "returns", "exported_at"}
    assert body["client"] == {
        "id": client.pk,
        "name": "Ann Lee",
        "email": client.email,
        "phone": PHONE,
        "address": ADDRESS,
        "created_at": body["client"]["created_at"],
        "updated_at": body["client"]["updated_at"],
        "anonymized_at": None,
    }
    assert [o["id"] for o in body["orders"]] == [first.pk, second.pk]
    assert body["orders"][0]["status"] == "delivered"
    assert body["orders"][0]["total_amount"] == "2.97"
    assert body["orders"][1]["total_amount"] == "25.69"
    assert [
        (line["product_name"], line["quantity"], line["line_total"])
        for line in body["orders"][1]["lines"]
    ] == [("Ink", 2, "24.70"), ("Pen", 1, "0.99")]
    assert body["orders"][1] == manager_api.get(f"/api/v1/orders/{second.pk}/").json()
    assert body["returns"] == []
    assert body["exported_at"].endswith("Z")


@pytest.mark.django_db
def test_export_costs_the_same_queries_for_many_orders(
    manager_api, django_assert_max_num_queries
):
    client = ClientFactory()
    product = ProductFactory(stock=100)
    OrderFactory(client=client, lines=[(product, 1)])
    with django_assert_max_num_queries(8) as few:
        export(manager_api, client.pk)
    for _ in range(15):
        OrderFactory(client=client, lines=[(product, 1)])

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = export(manager_api, client.pk)

    assert len(response.json()["orders"]) == 16


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_export_or_anonymize(as_role, role):
    client = ClientFactory()
    api = as_role(role)

    assert_error(export(api, client.pk), 403)
    assert_error(anonymize(api, client.pk), 403)
    assert Client.objects.get(pk=client.pk).anonymized_at is None


@pytest.mark.django_db
def test_export_and_anonymize_need_credentials(api_client):
    client = ClientFactory()

    assert_error(export(api_client, client.pk), 401)
    assert_error(anonymize(api_client, client.pk), 401)


@pytest.mark.django_db
@pytest.mark.parametrize("client_id", ["999999", "0", "9" * 30, "abc"])
def test_export_and_anonymize_of_an_unknown_client_answer_404(manager_api, client_id):
    assert_error(export(manager_api, client_id), 404)
    assert_error(anonymize(manager_api, client_id), 404)


@pytest.mark.django_db
def test_superusers_may_export_and_anonymize(superuser_api):
    client = ClientFactory()

    assert export(superuser_api, client.pk).status_code == 200
    assert anonymize(superuser_api, client.pk).status_code == 200


# --- Anonymize ------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymize_erases_the_person_and_keeps_the_orders_amounts(manager_api):
    client = ClientFactory(name="Ann Lee", phone=PHONE, address=ADDRESS)
    product = ProductFactory(unit_price=Decimal("33.33"), stock=10)
    delivered = order_in("delivered", client, product, quantity=3)
    cancelled = order_in("cancelled", client, product, quantity=1)

    response = anonymize(manager_api, client.pk)

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Anonymized client"
    assert body["email"] == f"anonymized-{client.pk}@anonymized.invalid"
    assert (body["phone"], body["address"]) == ("", "")
    assert body["anonymized_at"] is not None
    assert body == manager_api.get(f"{URL}{client.pk}/").json()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c::text FROM customers_client c WHERE id = %s", [client.pk]
        )
        (row,) = cursor.fetchone()
    assert "Lee" not in row and client.email not in row and "gAAAA" not in row
    assert Client.objects.get(pk=client.pk).phone_digest == ""
    for order, total in ((delivered, "99.99"), (cancelled, "33.33")):
        answer = manager_api.get(f"/api/v1/orders/{order.pk}/").json()
        assert (answer["client"], answer["total_amount"]) == (client.pk, total)
        assert answer["status"] == order.status
    assert manager_api.get(f"/api/v1/products/{product.pk}/").json()["stock"] == 7


@pytest.mark.django_db
def test_anonymized_at_is_read_only(manager_api):
    client = ClientFactory()

    response = manager_api.patch(
        f"{URL}{client.pk}/", {"anonymized_at": "2026-01-01T00:00:00Z", "name": "Bo"}
    )

    assert response.status_code == 200
    assert response.json()["anonymized_at"] is None
    assert Client.objects.get(pk=client.pk).anonymized_at is None


@pytest.mark.django_db
def test_anonymizing_twice_is_refused_and_changes_nothing(manager_api):
    client = ClientFactory()
    anonymize(manager_api, client.pk)
    before = Client.objects.values().get(pk=client.pk)

    response = anonymize(manager_api, client.pk)

    assert_error(response, 409, code="anonymized")
    assert Client.objects.values().get(pk=client.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["draft", "confirmed", "shipped"])
def test_a_client_with_an_open_order_is_not_anonymized(manager_api, status):
    client = ClientFactory(phone=PHONE, address=ADDRESS)
    product = ProductFactory(stock=10)
    order_in("delivered", client, product)
    open_order = order_in(status, client, product)
    before = Client.objects.values().get(pk=client.pk)

    response = anonymize(manager_api, client.pk)

    body = assert_error(response, 409, code="open_orders")
    assert f"#{open_order.pk} ({status})" in body["errors"][0]["detail"]
    assert Client.objects.values().get(pk=client.pk) == before


@pytest.mark.django_db
def test_anonymize_is_safe_to_retry_with_an_idempotency_key(manager_api):
    client = ClientFactory()

    first = anonymize(manager_api, client.pk, **{"Idempotency-Key": "forget-1"})
    again = anonymize(manager_api, client.pk, **{"Idempotency-Key": "forget-1"})
    fresh = anonymize(manager_api, client.pk, **{"Idempotency-Key": "forget-2"})

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert_error(fresh, 409, code="anonymized")


@pytest.mark.django_db
def test_an_anonymized_client_is_not_edited_and_takes_no_order(manager_api):
    client = ClientFactory()
    other = ClientFactory()
    anonymize(manager_api, client.pk)
    product = ProductFactory(stock=10)
    draft = OrderFactory(client=other, lines=[(product, 1)])

    edit = manager_api.patch(f"{URL}{client.pk}/", {"phone": PHONE})
    new = manager_api.post(
        "/api/v1/orders/",
        {"client": client.pk, "lines": [{"product": product.pk, "quantity": 1}]},
    )
    moved = manager_api.patch(f"/api/v1/orders/{draft.pk}/", {"client": client.pk})

    assert_error(edit, 409, code="anonymized")
    assert_error(new, 400, code="anonymized_client", attr="client")
    assert_error(moved, 400, code="anonymized_client", attr="client")
    assert Client.objects.get(pk=client.pk).phone == ""
    assert not Order.objects.filter(client=client).exists()
    assert Order.objects.get(pk=draft.pk).client_id == other.pk


@pytest.mark.django_db
def test_an_anonymized_client_without_orders_can_still_be_deleted(manager_api):
    client = ClientFactory()
    anonymize(manager_api, client.pk)

    assert manager_api.delete(f"{URL}{client.pk}/").status_code == 204


@pytest.mark.django_db
def test_the_database_refuses_an_anonymized_row_that_keeps_personal_data():
    from django.db import IntegrityError

    client = ClientFactory(phone=PHONE)
    client_anonymize(client_id=client.pk)

    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=client.pk).update(address="12 Main St")


# --- Races -------------------------------------------------------------------------


def _in_thread(target):
    outcome = {}

    def run():
        try:
            outcome["value"] = target()
        except Exception as exc:  # read by the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.django_db(transaction=True)
def test_an_order_written_during_an_anonymization_waits_and_is_refused(as_role):
    client = ClientFactory()
    product = ProductFactory(stock=10)
    clerk = as_role("clerk")
    locked, release = threading.Event(), threading.Event()

    def anonymize_slowly():
        with transaction.atomic():
            client_anonymize(client_id=client.pk)
            locked.set()
            release.wait(10)

    anonymizer, anonymized = _in_thread(anonymize_slowly)
    assert locked.wait(10)
    writer, written = _in_thread(
        lambda: clerk.post(
            "/api/v1/orders/",
            {"client": client.pk, "lines": [{"product": product.pk, "quantity": 1}]},
        )
    )
    with other_session() as session:
        wait_for_a_lock_wait(session)
    release.set()
    anonymizer.join(10)
    writer.join(10)

    assert "error" not in anonymized and "error" not in written
    assert_error(written["value"], 400, code="anonymized_client", attr="client")
    assert Client.objects.get(pk=client.pk).anonymized_at is not None
    assert not Order.objects.filter(client=client).exists()


@pytest.mark.django_db(transaction=True)
def test_an_anonymization_during_an_order_write_waits_and_is_refused(as_role):
    client = ClientFactory()
    product = ProductFactory(stock=10)
    manager = as_role("manager")
    written, release = threading.Event(), threading.Event()

    def create_slowly():
        with transaction.atomic():
            order_create(client=client)
            written.set()
            release.wait(10)

    writer, created = _in_thread(create_slowly)
    assert written.wait(10)
    anonymizer, anonymized = _in_thread(lambda: anonymize(manager, client.pk))
    with other_session() as session:
        wait_for_a_lock_wait(session)
    release.set()
    writer.join(10)
    anonymizer.join(10)

    assert "error" not in created and "error" not in anonymized
    assert_error(anonymized["value"], 409, code="open_orders")
    assert Client.objects.get(pk=client.pk).anonymized_at is None
    assert Order.objects.filter(client=client, status="draft").count() == 1
    del product


@pytest.mark.django_db(transaction=True)
def test_racing_orders_and_anonymizations_never_leave_an_open_order(as_role):
    from tests.helpers import run_concurrently

    product = ProductFactory(stock=100)
    clients = [ClientFactory() for _ in range(6)]
    manager, clerk = as_role("manager"), as_role("clerk")
    calls = []
    for client in clients:
        calls.append(lambda c=client: anonymize(manager, c.pk).status_code)
        calls.append(
            lambda c=client: (
                clerk.post(
                    "/api/v1/orders/",
                    {"client": c.pk, "lines": [{"product": product.pk, "quantity": 1}]},
                ).status_code
            )
        )

    statuses = run_concurrently(calls)

    for index, client in enumerate(clients):
        anonymized, ordered = statuses[2 * index], statuses[2 * index + 1]
        assert sorted([anonymized, ordered]) in ([200, 400], [201, 409])
        client.refresh_from_db()
        has_order = Order.objects.filter(client=client).exists()
        assert (client.anonymized_at is not None) != has_order


@pytest.mark.django_db
def test_each_export_and_anonymization_is_in_the_audit_log_without_values(
    manager_api,
):
    from audit.models import AuditEntry

    client = ClientFactory(name="Ann Lee", phone=PHONE, address=ADDRESS)
    before = AuditEntry.objects.count()

    export(manager_api, client.pk)
    anonymize(manager_api, client.pk)
    anonymize(manager_api, client.pk)  # refused: no entry

    entries = list(
        AuditEntry.objects.order_by("id")[before:].values(
            "action", "object_type", "object_id", "actor", "changes"
        )
    )
    assert [(e["action"], e["object_type"], e["object_id"]) for e in entries] == [
        ("export", "client", client.pk),
        ("anonymize", "client", client.pk),
    ]
    assert {e["actor"] for e in entries} == {manager_api.user.username}
    assert entries[1]["changes"] == {
        name: ["[redacted]", "[redacted]"]
        for name in ("name", "email", "phone", "address")
    }
    text = str(entries)
    assert "Ann" not in text and PHONE not in text and "Saint-Denis" not in text


@pytest.mark.django_db(transaction=True)
def test_an_edit_during_an_anonymization_waits_and_is_refused(as_role):
    client = ClientFactory(phone="")
    clerk = as_role("clerk")
    locked, release = threading.Event(), threading.Event()

    def anonymize_slowly():
        with transaction.atomic():
            client_anonymize(client_id=client.pk)
            locked.set()
            release.wait(10)

    anonymizer, _ = _in_thread(anonymize_slowly)
    assert locked.wait(10)
    editor, edited = _in_thread(
        lambda: clerk.patch(f"{URL}{client.pk}/", {"phone": PHONE})
    )
    with other_session() as session:
        wait_for_a_lock_wait(session)
    release.set()
    anonymizer.join(10)
    editor.join(10)

    assert_error(edited["value"], 409, code="anonymized")
    stored = Client.objects.get(pk=client.pk)
    assert (stored.phone, stored.name) == ("", "Anonymized client")
