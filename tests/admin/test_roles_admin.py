"""What the admin shows each role, and what it lets each role change."""

import pytest
from django.urls import reverse

from sales.services import order_transition
from tests.factories import ClientFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

VIEW = {"view"}
READ_WRITE = {"view", "add", "change", "delete"}
# The admin's per-model rights for each role, from the contract's role table.
EXPECTED = {
    "manager": {
        "category": READ_WRITE,
        "product": READ_WRITE,
        "stockmovement": VIEW,
        "location": READ_WRITE,
        "stocklevel": {"view", "change"},
        "transfer": READ_WRITE,
        "client": READ_WRITE,
        "employee": READ_WRITE,
        "order": READ_WRITE,
        # Recorded from an order's page (the "Record a return" button), so
        # the list itself only reads.
        "return": VIEW,
        "webhook": READ_WRITE,
        "delivery": VIEW,
        "taxclass": READ_WRITE,
        "auditentry": VIEW,
        "supplier": READ_WRITE,
        "purchaseorder": READ_WRITE,
    },
    "clerk": {
        "category": VIEW,
        "product": VIEW,
        "stockmovement": VIEW,
        "location": VIEW,
        "stocklevel": VIEW,
        "transfer": VIEW,
        "client": {"view", "add", "change"},
        "employee": VIEW,
        "order": READ_WRITE,
        "return": VIEW,
        "taxclass": VIEW,
        "supplier": VIEW,
        "purchaseorder": VIEW,
    },
    "warehouse": {
        "category": VIEW,
        "product": VIEW,
        "stockmovement": VIEW,
        "location": VIEW,
        "stocklevel": {"view", "change"},
        "transfer": READ_WRITE,
        "client": VIEW,
        "employee": VIEW,
        "order": VIEW,
        "return": VIEW,
        "taxclass": VIEW,
        "supplier": VIEW,
        "purchaseorder": VIEW,
    },
}
ORDER_ACTIONS = {
    "manager": {"confirm_orders", "ship_orders", "deliver_orders", "cancel_orders"},
    "clerk": {"confirm_orders", "cancel_orders"},
    "warehouse": {"ship_orders", "deliver_orders"},
}


def model_rights(response) -> dict[str, set[str]]:
    return {
        model["object_name"].lower(): {
            perm for perm, on in model["perms"].items() if on
        }
        for app in response.context["app_list"]
        for model in app["models"]
    }


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_index_lists_each_model_with_the_roles_rights(admin_as, role):
    response = admin_as(role).get(reverse("admin:index"))

    assert response.status_code == 200
    assert model_rights(response) == EXPECTED[role]


def test_a_staff_user_in_no_group_sees_nothing(admin_as):
    nobody = admin_as()

    index = nobody.get(reverse("admin:index"))

    assert model_rights(index) == {}
    assert "dashboard-orders" not in index.content.decode()
    for name in ("sales_order", "catalog_product", "customers_client"):
        assert nobody.get(reverse(f"admin:{name}_changelist")).status_code == 403


@pytest.mark.parametrize("role", sorted(ORDER_ACTIONS))
def test_the_order_list_offers_each_role_its_own_actions(admin_as, role):
    OrderFactory()

    response = admin_as(role).get(reverse("admin:sales_order_changelist"))

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert set(choices) - {""} == ORDER_ACTIONS[role]


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_edit_prices(admin_as, role):
    product = ProductFactory()
    user = admin_as(role)
    url = reverse("admin:catalog_product_change", args=[product.pk])

    page = user.get(url)
    post = user.post(url, {"name": product.name, "unit_price": "1.00"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="unit_price"' not in page.content.decode()
    assert post.status_code == 403
    assert user.get(reverse("admin:catalog_product_add")).status_code == 403


def test_a_manager_edits_prices(manager):
    product = ProductFactory()

    page = manager.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert 'name="unit_price"' in page.content.decode()


@pytest.mark.parametrize(
    ("role", "adjusts"), [("manager", True), ("clerk", False), ("warehouse", True)]
)
def test_stock_tools_are_for_managers_and_the_warehouse(admin_as, role, adjusts):
    product = ProductFactory(stock=3)
    user = admin_as(role)

    page = user.get(reverse("admin:catalog_product_change", args=[product.pk]))
    form = user.get(reverse("admin:catalog_product_adjust_stock", args=[product.pk]))

    assert ("Adjust stock" in page.content.decode()) is adjusts
    assert form.status_code == (200 if adjusts else 403)


def test_the_warehouse_cannot_write_orders_or_clients(warehouse):
    order = OrderFactory(lines=[(ProductFactory(), 1)])
    client = ClientFactory()

    assert warehouse.get(reverse("admin:sales_order_add")).status_code == 403
    page = warehouse.get(reverse("admin:sales_order_change", args=[order.pk]))
    assert page.context["has_change_permission"] is False
    assert (
        warehouse.post(
            reverse("admin:sales_order_delete", args=[order.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert warehouse.get(reverse("admin:customers_client_add")).status_code == 403
    assert (
        warehouse.post(
            reverse("admin:customers_client_change", args=[client.pk]),
            {"name": "X", "email": "x@example.com"},
        ).status_code
        == 403
    )


def test_a_clerk_cannot_delete_clients_or_touch_employees(clerk):
    client = ClientFactory()

    assert (
        clerk.post(
            reverse("admin:customers_client_delete", args=[client.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert clerk.get(reverse("admin:staff_employee_add")).status_code == 403
    assert clerk.get(reverse("admin:catalog_category_add")).status_code == 403


def test_the_warehouse_ships_and_delivers_from_the_order_page(warehouse):
    order = order_transition(
        order_id=OrderFactory(lines=[(ProductFactory(), 1)]).pk, action="confirm"
    )

    for action in ("ship", "deliver"):
        response = warehouse.post(
            reverse("admin:sales_order_transition", args=[order.pk, action])
        )
        assert response.status_code == 302

    order.refresh_from_db()
    assert order.status == "delivered"
