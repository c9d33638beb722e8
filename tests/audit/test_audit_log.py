"""The audit log: one entry per change, written with it, never rewritten."""

import gzip
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from inventory.models import StockMovement
from inventory.services import stock_adjust
from sales.models import OrderStatusChange
from sales.services import order_transition
from store_project.db.errors import is_history_rewrite
from tests.conftest import ensure_roles
from tests.factories import (
    CategoryFactory,
    OrderFactory,
    ProductFactory,
    UserFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def raw_changes(entry_id: int) -> str:
    """The entry's changes as PostgreSQL holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT changes::text FROM audit_auditentry WHERE id = %s", [entry_id]
        )
        return cursor.fetchone()[0]


# --- What the API records -------------------------------------------------------


def test_a_product_created_changed_and_deleted_through_the_api(manager_api):
    category = CategoryFactory()

    created = manager_api.post(
        f"{API}products/",
        {"name": "Kettle", "unit_price": "19.99", "category": category.pk, "stock": 3},
        format="json",
        HTTP_X_REQUEST_ID="req-create-1",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    manager_api.patch(f"{API}products/{pk}/", {"unit_price": "21.05"}, format="json")
    deleted = manager_api.delete(f"{API}products/{pk}/")
    assert deleted.status_code == 204

    create, update, delete = entries(object_type="product", object_id=pk)
    username = manager_api.user.username
    assert (create.action, create.actor, create.request_id) == (
        "create",
        username,
        "req-create-1",
    )
    assert create.changes["name"] == [None, "Kettle"]
    assert create.changes["unit_price"] == [None, "19.99"]
    assert create.changes["stock"] == [None, 3]
    assert create.changes["category"] == [None, category.pk]
    assert update.action == "update"
    assert update.changes == {"unit_price": ["19.99", "21.05"]}
    assert delete.action == "delete"
    assert delete.changes["unit_price"] == ["21.05", None]


def test_the_request_id_of_the_response_is_on_the_entry(manager_api):
    response = manager_api.post(f"{API}categories/", {"name": "Teas"}, format="json")

    (entry,) = entries(object_type="category")
    assert entry.request_id == response["X-Request-ID"]


def test_an_update_that_changes_nothing_records_nothing(manager_api):
    category = CategoryFactory(name="Teas")

    response = manager_api.patch(
        f"{API}categories/{category.pk}/", {"name": "Teas"}, format="json"
    )

    assert response.status_code == 200
    assert entries(object_type="category") == []


def test_a_409_leaves_no_entry(manager_api):
    category = CategoryFactory()
    ProductFactory(category=category)
    before = AuditEntry.objects.count()

    response = manager_api.delete(f"{API}categories/{category.pk}/")

    assert_error(response, 409)
    assert AuditEntry.objects.count() == before


def test_a_400_from_the_database_leaves_no_entry(manager_api):
    CategoryFactory(name="Teas")
    before = AuditEntry.objects.count()

    response = manager_api.post(f"{API}categories/", {"name": "TEAS"}, format="json")

    assert_error(response, 400, code="unique")
    assert AuditEntry.objects.count() == before


def test_a_refused_permission_leaves_no_entry(as_role):
    category = CategoryFactory(name="Teas")

    response = as_role("clerk").patch(
        f"{API}categories/{category.pk}/", {"name": "Coffees"}, format="json"
    )

    assert_error(response, 403)
    assert entries() == []


def test_a_clients_personal_data_never_appears_in_an_entry(manager_api):
    email, phone, address, name = (
        "marie.tremblay@example.com",
        "514-555-0199",
        "12 rue Sainte-Catherine",
        "Marie Tremblay",
    )
    created = manager_api.post(
        f"{API}clients/",
        {"name": name, "email": email, "phone": phone, "address": address},
        format="json",
    )
    pk = created.json()["id"]
    manager_api.patch(
        f"{API}clients/{pk}/", {"email": "m.tremblay@example.org"}, format="json"
    )
    manager_api.delete(f"{API}clients/{pk}/")

    create, update, delete = entries(object_type="client", object_id=pk)
    assert set(create.changes) == {"name", "email", "phone", "address"}
    assert set(update.changes) == {"email"}
    assert delete.action == "delete"
    for entry in (create, update, delete):
        stored = raw_changes(entry.id)
        for secret in (email, "m.tremblay@example.org", phone, address, name):
            assert secret not in stored
    listed = manager_api.get(f"{API}audit-log/", {"object_type": "client"}).content
    assert email.encode() not in listed and phone.encode() not in listed


def test_an_employee_change_is_recorded(manager_api):
    created = manager_api.post(
        f"{API}employees/", {"name": "Luc", "position": "Clerk"}, format="json"
    )
    pk = created.json()["id"]
    manager_api.patch(f"{API}employees/{pk}/", {"is_active": False}, format="json")

    create, update = entries(object_type="employee", object_id=pk)
    assert create.changes["name"] == [None, "Luc"]
    assert update.changes == {"is_active": [True, False]}


def test_stock_and_order_actions_are_not_repeated_in_the_audit_log(manager_api):
    product = ProductFactory(stock=5)
    order = OrderFactory(lines=[(product, 2)])
    before = AuditEntry.objects.count()

    manager_api.post(
        f"{API}products/{product.pk}/adjust-stock/",
        {"quantity": 3, "reason": "restock"},
        format="json",
    )
    manager_api.post(f"{API}orders/{order.pk}/confirm/")

    assert AuditEntry.objects.count() == before


# --- Role assignments -----------------------------------------------------------


def test_assign_role_records_the_roles_before_and_after(db):
    ensure_roles()
    user = UserFactory(roles=["clerk"])

    call_command("assign_role", user.username, "warehouse")
    call_command("assign_role", user.username, "clerk", "--remove")

    first, second = entries(object_type="user", object_id=user.pk)
    assert first.action == "assign_roles"
    assert first.actor is None  # a command: nobody logged in
    assert first.changes == {"roles": [["clerk"], ["clerk", "warehouse"]]}
    assert second.changes == {"roles": [["clerk", "warehouse"], ["warehouse"]]}


def test_the_admins_group_changes_are_recorded(db):
    ensure_roles()
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    user = UserFactory(roles=["clerk"])
    browser = Client()
    browser.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = browser.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"groups", "user_permissions", "password"}
    }
    data.update(
        {
            "username": user.username,
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "groups": [Group.objects.get(name="manager").pk],
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = browser.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    (entry,) = entries(object_type="user", object_id=user.pk)
    assert entry.actor == admin_user.username
    assert entry.changes == {"roles": [["clerk"], ["manager"]]}
    assert list(user.groups.values_list("name", flat=True)) == ["manager"]


# --- The API --------------------------------------------------------------------


def test_the_list_filters(manager_api, as_role):
    teas = CategoryFactory(name="Teas")
    other = as_role("manager")
    manager_api.patch(f"{API}categories/{teas.pk}/", {"name": "Tea"}, format="json")
    other.post(f"{API}categories/", {"name": "Coffee"}, format="json")

    def listed(**params):
        response = manager_api.get(f"{API}audit-log/", params)
        assert response.status_code == 200, response.content
        return [(e["action"], e["object_id"]) for e in response.json()["results"]]

    coffee = AuditEntry.objects.get(action="create").object_id
    assert listed() == [("create", coffee), ("update", teas.pk)]  # newest first
    assert listed(object_type="category", object_id=teas.pk) == [("update", teas.pk)]
    assert listed(actor=other.user.username) == [("create", coffee)]
    assert listed(action="update") == [("update", teas.pk)]
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert listed(created_after=future) == []
    assert len(listed(created_before=future)) == 2
    (entry,) = manager_api.get(f"{API}audit-log/", {"action": "update"}).json()[
        "results"
    ]
    assert entry["changes"] == {"name": ["Teas", "Tea"]}
    assert entry["actor"] == manager_api.user.username
    assert set(entry) == {
        "id",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "changes",
        "request_id",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"object_type": "order"},
        {"object_type": "nonsense"},
        {"object_id": "abc"},
        {"object_id": "0"},
        {"created_after": "yesterday"},
        {"created_before": "2026-13-40T00:00:00Z"},
    ],
)
def test_bad_filters_are_400(manager_api, params):
    assert_error(manager_api.get(f"{API}audit-log/", params), 400)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_the_audit_log_are_405(manager_api, superuser_api, method):
    CategoryFactory()
    manager_api.post(f"{API}categories/", {"name": "Teas"}, format="json")
    entry = AuditEntry.objects.get()
    for api in (manager_api, superuser_api):
        path = f"{API}audit-log/" if method == "post" else f"{API}audit-log/{entry.pk}/"
        assert_error(getattr(api, method)(path, {}, format="json"), 405)
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_read_the_audit_log(as_role, role):
    assert_error(as_role(role).get(f"{API}audit-log/"), 403)


def test_the_list_costs_the_same_queries_for_any_page(manager_api):
    def queries_of_a_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = manager_api.get(f"{API}audit-log/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    for n in range(3):
        manager_api.post(f"{API}categories/", {"name": f"C{n}"}, format="json")
    few = queries_of_a_page()
    for n in range(30):
        manager_api.post(f"{API}categories/", {"name": f"D{n}"}, format="json")

    assert queries_of_a_page() == few <= 3


def test_writing_an_entry_costs_one_insert(db):
    from catalog.services import category_update

    category = CategoryFactory(name="Teas")

    with CaptureQueriesContext(connection) as captured:
        category_update(category=category, name="Tea")

    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == [
        "UPDATE",
        "INSERT",
    ]


# --- The database will not rewrite history --------------------------------------


def _refused(sql: str, params) -> IntegrityError:
    with (
        pytest.raises(IntegrityError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    assert is_history_rewrite(refused.value)
    return refused.value


def test_the_database_refuses_to_update_or_delete_audit_entries(manager_api):
    manager_api.post(f"{API}categories/", {"name": "Teas"}, format="json")
    entry = AuditEntry.objects.get()

    _refused("UPDATE audit_auditentry SET actor = 'someone' WHERE id = %s", [entry.pk])
    _refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")

    entry.refresh_from_db()
    assert (entry.actor, entry.action) == (manager_api.user.username, "create")


def test_the_database_refuses_to_update_stock_movements_and_status_changes(db):
    product = ProductFactory(stock=5)
    stock_adjust(product=product, quantity=2, reason="restock")
    order = OrderFactory(lines=[(product, 1)])
    order_transition(order_id=order.pk, action="confirm")
    movement = StockMovement.objects.filter(product=product).first()
    change = OrderStatusChange.objects.get(order=order)

    _refused(
        "UPDATE catalog_stockmovement SET quantity = 99 WHERE id = %s", [movement.pk]
    )
    _refused(
        "UPDATE sales_orderstatuschange SET to_status = 'delivered' WHERE id = %s",
        [change.pk],
    )

    movement.refresh_from_db()
    assert movement.quantity != 99


def test_a_product_on_no_order_is_still_deleted_with_its_movements(manager_api):
    product = ProductFactory(stock=4)

    assert manager_api.delete(f"{API}products/{product.pk}/").status_code == 204
    assert not StockMovement.objects.filter(product_id=product.pk).exists()


def test_a_user_with_history_cannot_be_deleted(db):
    user = UserFactory()
    stock_adjust(product=ProductFactory(stock=1), quantity=1, reason="restock", by=user)

    with pytest.raises(Exception) as refused, transaction.atomic():
        user.delete()
    assert "protected" in str(refused.value).lower()


# --- The admin ------------------------------------------------------------------


def test_the_admin_records_like_the_api(manager):
    category = CategoryFactory(name="Teas")

    response = manager.post(
        reverse("admin:catalog_category_change", args=[category.pk]), {"name": "Tea"}
    )

    assert response.status_code == 302
    (entry,) = entries(object_type="category")
    assert (entry.actor, entry.changes) == (
        manager.user.username,
        {"name": ["Teas", "Tea"]},
    )


def test_the_audit_admin_is_read_only_even_for_superusers(db, manager):
    ensure_roles()
    superuser = Client()
    superuser.force_login(UserFactory(is_superuser=True, is_staff=True))
    manager.post(reverse("admin:catalog_category_add"), {"name": "Teas"})
    entry = AuditEntry.objects.get()

    for browser in (superuser, manager):
        listing = browser.get(reverse("admin:audit_auditentry_changelist"))
        assert listing.status_code == 200
        assert b"Teas" in listing.content or b"name" in listing.content
        assert browser.get(reverse("admin:audit_auditentry_add")).status_code == 403
        detail = browser.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
        assert detail.status_code == 200 and b'name="_save"' not in detail.content
        delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == 1


def test_the_audit_admin_is_for_managers_only(clerk):
    assert clerk.get(reverse("admin:audit_auditentry_changelist")).status_code == 403


def test_an_objects_history_link_leads_to_its_entries(manager):
    teas = CategoryFactory(name="Teas")
    coffee = CategoryFactory(name="Coffee")
    for category, name in ((teas, "Tea"), (coffee, "Coffees")):
        manager.post(
            reverse("admin:catalog_category_change", args=[category.pk]), {"name": name}
        )

    history = manager.get(
        reverse("admin:catalog_category_history", args=[teas.pk]), follow=True
    )

    assert history.status_code == 200
    listed = list(history.context["cl"].result_list)
    assert [(e.object_type, e.object_id) for e in listed] == [("category", teas.pk)]


def test_recent_actions_show_the_users_latest_entries(manager, admin_as):
    manager.post(reverse("admin:catalog_category_add"), {"name": "Teas"})
    admin_as("manager").post(reverse("admin:catalog_category_add"), {"name": "Other"})
    teas = AuditEntry.objects.get(actor=manager.user.username)

    index = manager.get(reverse("admin:index"))

    panel = index.content.decode().split('id="recent-actions-module"')[1]
    change_url = reverse("admin:catalog_category_change", args=[teas.object_id])
    assert f'href="{change_url}"' in panel
    assert [item["entry"] for item in index.context["recent_entries"]] == [teas]


# --- Archiving ------------------------------------------------------------------


def test_archiving_moves_old_entries_into_a_file_and_keeps_the_rest(
    manager_api, tmp_path
):
    for name in ("Old", "Older"):
        manager_api.post(f"{API}categories/", {"name": name}, format="json")
    old = list(AuditEntry.objects.order_by("id"))
    # Entries are immutable even to tests: age them by writing new old ones.
    cutoff = timezone.now() - timedelta(days=400)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (at, actor, action, object_type, "
            "object_id, changes, request_id) SELECT %s, actor, action, object_type, "
            "object_id, changes, request_id FROM audit_auditentry",
            [cutoff],
        )
    output = tmp_path / "audit.jsonl.gz"
    day = (cutoff + timedelta(days=2)).date().isoformat()

    call_command("archive_audit_log", "--before", day, "--output", str(output))

    with gzip.open(output, "rt") as archive:
        archived = [json.loads(line) for line in archive]
    assert [e["object_id"] for e in archived] == [e.object_id for e in old]
    assert list(AuditEntry.objects.order_by("id")) == old
    with pytest.raises(Exception, match="exists"):
        call_command("archive_audit_log", "--before", day, "--output", str(output))
