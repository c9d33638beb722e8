"""Every role against every endpoint and action, as the contract's table says."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from catalog.models import TaxClass
from tests.conftest import client_for, ensure_roles
from tests.factories import (
    CategoryFactory,
    ClientFactory,
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    UserFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


@dataclass
class World:
    category: object
    product: object
    client: object
    employee: object
    draft: object
    confirmed: object
    shipped: object
    spare_category: object
    spare_product: object
    spare_client: object
    spare_employee: object
    location: object
    spare_location: object
    stock_level: object
    transfer: object
    spare_transfer: object
    in_transit: object
    tax_class: object
    spare_tax_class: object
    supplier: object
    spare_supplier: object
    purchase_draft: object
    spare_purchase_draft: object
    purchase_ordered: object
    purchase_partial: object
    a_return: object


@pytest.fixture
def world():
    from sales.returns import ReturnLineSpec, return_create
    from sales.services import order_transition

    category = CategoryFactory()
    product = ProductFactory(category=category, stock=100)
    client = ClientFactory()
    confirmed = OrderFactory(client=client, lines=[(product, 1)])
    order_transition(order_id=confirmed.pk, action="confirm")
    shipped = OrderFactory(client=client, lines=[(product, 1)])
    order_transition(order_id=shipped.pk, action="confirm")
    order_transition(order_id=shipped.pk, action="ship")
    returned = OrderFactory(client=client, lines=[(product, 2)])
    for action in ("confirm", "ship"):
        order_transition(order_id=returned.pk, action=action)
    a_return = return_create(
        order_id=returned.pk,
        lines=[ReturnLineSpec(product.pk, 1, restock=True, reason="unwanted")],
    )
    return World(
        category=category,
        product=product,
        client=client,
        employee=EmployeeFactory(),
        draft=OrderFactory(client=client, lines=[(product, 1)]),
        confirmed=confirmed,
        shipped=shipped,
        spare_category=CategoryFactory(),
        spare_product=ProductFactory(category=category),
        spare_client=ClientFactory(),
        spare_employee=EmployeeFactory(),
        location=LocationFactory(),
        spare_location=LocationFactory(),
        stock_level=product.stock_levels.get(),
        transfer=_transfer(product),
        spare_transfer=_transfer(product),
        in_transit=_transfer(product, ship=True),
        tax_class=TaxClass.objects.create(name="Quebec"),
        spare_tax_class=TaxClass.objects.create(name="Spare"),
        supplier=SupplierFactory(),
        spare_supplier=SupplierFactory(),
        purchase_draft=_purchase(product),
        spare_purchase_draft=_purchase(product),
        purchase_ordered=_purchase(product, "order"),
        purchase_partial=_purchase(product, "order", "receive"),
        a_return=a_return,
    )


def _purchase(product, *actions):
    from purchasing.services import purchase_order_transition

    purchase_order = PurchaseOrderFactory(lines=[(product, 4, "1.2500")])
    for name in actions:
        purchase_order_transition(
            purchase_order_id=purchase_order.pk,
            action=name,
            received={product.pk: 1} if name == "receive" else None,
        )
    return purchase_order


def purchase_body(w):
    return {
        "supplier": w.supplier.pk,
        "lines": [{"product": w.product.pk, "quantity": 2, "unit_cost": "1.5000"}],
    }


def _transfer(product, ship=False):
    from inventory.services import (
        TransferLineSpec,
        location_default,
        transfer_create,
        transfer_transition,
    )

    transfer = transfer_create(
        from_location=location_default(),
        to_location=LocationFactory(),
        lines=[TransferLineSpec(product, 1)],
    )
    if ship:
        transfer_transition(transfer_id=transfer.pk, action="ship")
    return transfer


def transfer_body(w):
    return {
        "from_location": w.transfer.from_location_id,
        "to_location": w.transfer.to_location_id,
        "lines": [{"product": w.product.pk, "quantity": 1}],
    }


def return_body(w):
    line = {"product": w.product.pk, "quantity": 1, "restock": True}
    return {"lines": [{**line, "reason": "defective"}]}


def product_body(w):
    return {"name": "New", "unit_price": "1.00", "category": w.category.pk}


def order_body(w):
    return {"client": w.client.pk, "lines": [{"product": w.product.pk, "quantity": 1}]}


# (name, method, path, body, roles allowed besides superusers); "{x}" in a
# path is the id of the world's object x.
READ = {"manager", "clerk", "warehouse"}
MANAGER = {"manager"}
SALES = {"manager", "clerk"}
FULFIL = {"manager", "warehouse"}
NAME = {"name": "N"}
CLIENT = {"name": "N", "email": "n@example.com"}
RESTOCK = {"quantity": 5, "reason": "restock"}
LOCATION = {"code": "north", "name": "North store", "kind": "store"}
REORDER = {"reorder_level": 4}
# A CSV file (bytes) is sent as a text/csv body.
PRODUCTS_CSV = b"sku,name,unit_price,category\nIMP-1,Imported,1.00,Imports\n"
CLIENTS_CSV = b"email,name\nimported@example.com,Imported\n"
OPERATIONS = [
    ("list categories", "get", "categories/", None, READ),
    ("read category", "get", "categories/{category}/", None, READ),
    ("create category", "post", "categories/", NAME, MANAGER),
    ("update category", "put", "categories/{category}/", NAME, MANAGER),
    ("patch category", "patch", "categories/{category}/", NAME, MANAGER),
    ("delete category", "delete", "categories/{spare_category}/", None, MANAGER),
    ("list products", "get", "products/", None, READ),
    ("read product", "get", "products/{product}/", None, READ),
    ("create product", "post", "products/", product_body, MANAGER),
    ("update product", "put", "products/{product}/", product_body, MANAGER),
    ("patch price", "patch", "products/{product}/", {"unit_price": "2"}, MANAGER),
    ("delete product", "delete", "products/{spare_product}/", None, MANAGER),
    ("adjust stock", "post", "products/{product}/adjust-stock/", RESTOCK, FULFIL),
    ("import products", "post", "products/import/", PRODUCTS_CSV, MANAGER),
    ("list stock movements", "get", "stock-movements/", None, READ),
    ("list clients", "get", "clients/", None, READ),
    ("read client", "get", "clients/{client}/", None, READ),
    ("create client", "post", "clients/", CLIENT, SALES),
    ("update client", "put", "clients/{client}/", CLIENT, SALES),
    ("patch client", "patch", "clients/{client}/", {"phone": "1"}, SALES),
    ("delete client", "delete", "clients/{spare_client}/", None, MANAGER),
    ("import clients", "post", "clients/import/", CLIENTS_CSV, SALES),
    ("list employees", "get", "employees/", None, READ),
    ("read employee", "get", "employees/{employee}/", None, READ),
    ("create employee", "post", "employees/", NAME, MANAGER),
    ("update employee", "put", "employees/{employee}/", NAME, MANAGER),
    ("patch employee", "patch", "employees/{employee}/", NAME, MANAGER),
    ("delete employee", "delete", "employees/{spare_employee}/", None, MANAGER),
    ("list tax classes", "get", "tax-classes/", None, READ),
    ("read tax class", "get", "tax-classes/{tax_class}/", None, READ),
    ("create tax class", "post", "tax-classes/", NAME, MANAGER),
    ("update tax class", "put", "tax-classes/{tax_class}/", NAME, MANAGER),
    ("patch tax class", "patch", "tax-classes/{tax_class}/", NAME, MANAGER),
    ("delete tax class", "delete", "tax-classes/{spare_tax_class}/", None, MANAGER),
    ("list orders", "get", "orders/", None, READ),
    ("read order", "get", "orders/{draft}/", None, READ),
    ("order history", "get", "orders/{confirmed}/history/", None, READ),
    ("create order", "post", "orders/", order_body, SALES),
    ("update draft", "put", "orders/{draft}/", order_body, SALES),
    ("patch draft", "patch", "orders/{draft}/", {"notes": "x"}, SALES),
    ("delete draft", "delete", "orders/{draft}/", None, SALES),
    ("confirm", "post", "orders/{draft}/confirm/", None, SALES),
    ("cancel", "post", "orders/{confirmed}/cancel/", None, SALES),
    ("ship", "post", "orders/{confirmed}/ship/", None, FULFIL),
    ("deliver", "post", "orders/{shipped}/deliver/", None, FULFIL),
    ("list audit log", "get", "audit-log/", None, MANAGER),
    ("sales report", "get", "reports/sales/", None, MANAGER),
    ("sales report as CSV", "get", "reports/sales/?format=csv", None, MANAGER),
    ("inventory report", "get", "reports/inventory/", None, MANAGER),
    ("list products as CSV", "get", "products/?format=csv", None, READ),
    ("list orders as CSV", "get", "orders/?format=csv", None, READ),
    ("list locations", "get", "locations/", None, READ),
    ("read location", "get", "locations/{location}/", None, READ),
    ("create location", "post", "locations/", LOCATION, MANAGER),
    ("update location", "put", "locations/{location}/", LOCATION, MANAGER),
    ("patch location", "patch", "locations/{location}/", NAME, MANAGER),
    ("delete location", "delete", "locations/{spare_location}/", None, MANAGER),
    ("list stock levels", "get", "stock-levels/", None, READ),
    ("read stock level", "get", "stock-levels/{stock_level}/", None, READ),
    ("set reorder level", "patch", "stock-levels/{stock_level}/", REORDER, FULFIL),
    ("list transfers", "get", "transfers/", None, READ),
    ("read transfer", "get", "transfers/{transfer}/", None, READ),
    ("create transfer", "post", "transfers/", transfer_body, FULFIL),
    ("update transfer", "put", "transfers/{transfer}/", transfer_body, FULFIL),
    ("patch transfer", "patch", "transfers/{transfer}/", {"notes": "x"}, FULFIL),
    ("delete transfer", "delete", "transfers/{spare_transfer}/", None, FULFIL),
    ("ship transfer", "post", "transfers/{transfer}/ship/", None, FULFIL),
    ("receive transfer", "post", "transfers/{in_transit}/receive/", None, FULFIL),
    ("cancel transfer", "post", "transfers/{in_transit}/cancel/", None, FULFIL),
    ("list suppliers", "get", "suppliers/", None, READ),
    ("read supplier", "get", "suppliers/{supplier}/", None, READ),
    ("create supplier", "post", "suppliers/", NAME, MANAGER),
    ("update supplier", "put", "suppliers/{supplier}/", NAME, MANAGER),
    ("patch supplier", "patch", "suppliers/{supplier}/", NAME, MANAGER),
    ("delete supplier", "delete", "suppliers/{spare_supplier}/", None, MANAGER),
    ("list purchase orders", "get", "purchase-orders/", None, READ),
    ("read purchase order", "get", "purchase-orders/{purchase_draft}/", None, READ),
    ("create purchase order", "post", "purchase-orders/", purchase_body, MANAGER),
    (
        "update purchase order",
        "put",
        "purchase-orders/{purchase_draft}/",
        purchase_body,
        MANAGER,
    ),
    (
        "patch purchase order",
        "patch",
        "purchase-orders/{purchase_draft}/",
        {"notes": "x"},
        MANAGER,
    ),
    (
        "delete purchase order",
        "delete",
        "purchase-orders/{spare_purchase_draft}/",
        None,
        MANAGER,
    ),
    (
        "order purchase order",
        "post",
        "purchase-orders/{purchase_draft}/order/",
        None,
        MANAGER,
    ),
    (
        "receive purchase order",
        "post",
        "purchase-orders/{purchase_ordered}/receive/",
        None,
        FULFIL,
    ),
    (
        "close purchase order",
        "post",
        "purchase-orders/{purchase_partial}/close/",
        None,
        MANAGER,
    ),
    (
        "cancel purchase order",
        "post",
        "purchase-orders/{purchase_ordered}/cancel/",
        None,
        MANAGER,
    ),
    ("reorder suggestions", "get", "reorder-suggestions/", None, READ),
    (
        "create reorder drafts",
        "post",
        "reorder-suggestions/create-purchase-orders/",
        {},
        MANAGER,
    ),
    ("list returns", "get", "returns/", None, READ),
    ("read return", "get", "returns/{a_return}/", None, READ),
    ("record a return", "post", "orders/{shipped}/returns/", return_body, SALES),
]
PRINCIPALS = ["manager", "clerk", "warehouse", "no group", "superuser"]


def principal_client(principal: str) -> APIClient:
    ensure_roles()
    if principal == "superuser":
        return client_for(UserFactory(is_superuser=True, is_staff=True))
    if principal == "no group":
        return client_for(UserFactory())
    return client_for(UserFactory(roles=[principal]))


def call(api, operation, w):
    _, method, path, body, _ = operation
    ids = {name: obj.pk for name, obj in vars(w).items()}
    if callable(body):
        body = body(w)
    if isinstance(body, bytes):
        return getattr(api, method)(
            "/api/v1/" + path.format(**ids), body, content_type="text/csv"
        )
    return getattr(api, method)("/api/v1/" + path.format(**ids), body, format="json")


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_role_matrix(world, principal, operation):
    allowed = principal == "superuser" or principal in operation[4]

    response = call(principal_client(principal), operation, world)

    if allowed:
        assert 200 <= response.status_code < 300, response.content
    else:
        assert_error(response, 403, code="permission_denied")


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_anonymous_requests_are_401(world, operation):
    assert_error(call(APIClient(), operation, world), 401, code="not_authenticated")


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_a_bad_token_is_401(world, operation):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert_error(call(api, operation, world), 401)


def test_a_user_in_several_groups_has_the_union(world):
    ensure_roles()
    api = client_for(UserFactory(roles=["clerk", "warehouse"]))

    assert api.post(f"/api/v1/orders/{world.draft.pk}/confirm/").status_code == 200
    assert api.post(f"/api/v1/orders/{world.draft.pk}/ship/").status_code == 200
    assert_error(api.post("/api/v1/categories/", {"name": "N"}), 403)


def test_a_refused_write_changes_nothing(world):
    api = principal_client("warehouse")

    api.patch(f"/api/v1/products/{world.product.pk}/", {"unit_price": "0.01"})
    api.post(f"/api/v1/orders/{world.draft.pk}/confirm/")

    world.product.refresh_from_db()
    world.draft.refresh_from_db()
    assert str(world.product.unit_price) != "0.01"
    assert world.draft.status == "draft"


# The contract's roles for each order transition (its table, by row).
TRANSITION_ROLES = {
    "confirm": SALES,
    "cancel": SALES,
    "ship": FULFIL,
    "deliver": FULFIL,
}


def test_every_order_transition_is_in_the_contracts_role_table():
    from sales.services import TRANSITIONS

    assert set(TRANSITIONS) == set(TRANSITION_ROLES)


@pytest.mark.parametrize("name", sorted(TRANSITION_ROLES))
def test_each_transitions_permission_is_real_and_given_to_the_contracts_roles(name):
    from django.contrib.auth.models import Group, Permission

    from sales.services import TRANSITIONS
    from staff.roles import ROLES

    ensure_roles()
    permission = TRANSITIONS[name].permission
    app_label, codename = permission.split(".")
    real = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    )
    holders = Group.objects.filter(permissions__in=real).values_list("name", flat=True)

    assert real.exists(), permission
    assert {role for role, names in ROLES.items() if permission in names} == (
        TRANSITION_ROLES[name]
    )
    assert set(holders) == TRANSITION_ROLES[name]


# The contract's roles for each purchase order transition (its table).
PURCHASE_TRANSITION_ROLES = {
    "order": MANAGER,
    "receive": FULFIL,
    "close": MANAGER,
    "cancel": MANAGER,
}


def test_every_purchase_order_transition_is_in_the_contracts_role_table():
    from purchasing.services import TRANSITIONS

    assert set(TRANSITIONS) == set(PURCHASE_TRANSITION_ROLES)


@pytest.mark.parametrize("name", sorted(PURCHASE_TRANSITION_ROLES))
def test_each_purchase_transitions_permission_goes_to_the_contracts_roles(name):
    from django.contrib.auth.models import Group, Permission

    from purchasing.services import TRANSITIONS

    ensure_roles()
    permission = TRANSITIONS[name].permission
    app_label, codename = permission.split(".")
    real = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    )
    holders = Group.objects.filter(permissions__in=real).values_list("name", flat=True)

    assert real.exists(), permission
    assert set(holders) == PURCHASE_TRANSITION_ROLES[name]


def test_a_refused_purchase_write_changes_nothing(world):
    from purchasing.models import PurchaseOrder

    api = principal_client("clerk")
    count = PurchaseOrder.objects.count()

    api.post("/api/v1/purchase-orders/", purchase_body(world), format="json")
    api.post(f"/api/v1/purchase-orders/{world.purchase_draft.pk}/order/")
    api.post(f"/api/v1/purchase-orders/{world.purchase_ordered.pk}/receive/")
    api.post("/api/v1/reorder-suggestions/create-purchase-orders/", {}, format="json")

    world.purchase_draft.refresh_from_db()
    world.purchase_ordered.refresh_from_db()
    assert PurchaseOrder.objects.count() == count
    assert world.purchase_draft.status == "draft"
    assert world.purchase_ordered.status == "ordered"
    assert world.purchase_ordered.lines.get().received_quantity == 0
