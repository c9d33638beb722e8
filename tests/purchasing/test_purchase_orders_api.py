"""Purchase orders through the API: drafts, the state machine, receipts at cost."""

import json
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from catalog.models import Product
from integrations.models import Event
from inventory.models import StockMovement
from inventory.services import location_default
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from purchasing.services import average_cost
from tests.factories import (
    EmployeeFactory,
    LocationFactory,
    ProductFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    UserFactory,
)
from tests.helpers import assert_error, assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/purchase-orders/"


def action(api, purchase_order, name, body=None, **headers):
    return api.post(f"{URL}{purchase_order.pk}/{name}/", body, format="json", **headers)


def ordered(lines, **fields):
    purchase_order = PurchaseOrderFactory(lines=lines, **fields)
    from purchasing.services import purchase_order_transition

    purchase_order_transition(purchase_order_id=purchase_order.pk, action="order")
    purchase_order.refresh_from_db()
    return purchase_order


def nothing_written(before_movements: int):
    assert StockMovement.objects.count() == before_movements
    assert_ledger_exact()


# --- Drafts --------------------------------------------------------------------


def test_create_answers_a_draft_at_the_default_location_with_exact_costs(
    manager_api,
):
    supplier = SupplierFactory()
    first, second = ProductFactory(stock=0), ProductFactory(stock=0)

    response = manager_api.post(
        URL,
        {
            "supplier": supplier.pk,
            "lines": [
                {"product": first.pk, "quantity": 7, "unit_cost": "12.3456"},
                {"product": second.pk, "quantity": 3, "unit_cost": "12.3436"},
            ],
            "notes": "Spring order",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["supplier"] == supplier.pk
    assert body["location"] == location_default().pk
    assert body["total_cost"] == "123.45"
    assert [
        (
            line["product"],
            line["quantity"],
            line["unit_cost"],
            line["received_quantity"],
        )
        for line in body["lines"]
    ] == [(first.pk, 7, "12.3456", 0), (second.pk, 3, "12.3436", 0)]
    assert body["lines"][0]["product_name"] == first.name
    assert body["ordered_at"] is None and body["received_at"] is None
    assert set(body) == {
        "id",
        "supplier",
        "location",
        "status",
        "lines",
        "total_cost",
        "notes",
        "expected_at",
        "created_at",
        "ordered_at",
        "received_at",
        "closed_at",
        "cancelled_at",
    }
    entry = AuditEntry.objects.get(object_type="purchaseorder", action="create")
    assert entry.object_id == body["id"]
    assert entry.changes["lines"][1] == [
        [first.pk, 7, "12.3456"],
        [second.pk, 3, "12.3436"],
    ]


def test_total_cost_is_rounded_once_over_the_lines(manager_api):
    first, second = ProductFactory(), ProductFactory()
    purchase_order = PurchaseOrderFactory(
        lines=[(first, 3, "0.0015"), (second, 3, "0.0015")]
    )

    body = manager_api.get(f"{URL}{purchase_order.pk}/").json()

    # 0.0045 + 0.0045 = 0.009, rounded once: 0.01 (per line it would be 0.00).
    assert body["total_cost"] == "0.01"


@pytest.mark.parametrize(
    ("line", "attr"),
    [
        ({"quantity": 1, "unit_cost": "0"}, "lines.0.unit_cost"),
        ({"quantity": 1, "unit_cost": "0.0000"}, "lines.0.unit_cost"),
        ({"quantity": 1, "unit_cost": "-1.00"}, "lines.0.unit_cost"),
        ({"quantity": 1, "unit_cost": "1.23456"}, "lines.0.unit_cost"),
        ({"quantity": 1, "unit_cost": 1.5}, "lines.0.unit_cost"),
        ({"quantity": 1, "unit_cost": "1e2"}, "lines.0.unit_cost"),
        ({"quantity": 0, "unit_cost": "1.00"}, "lines.0.quantity"),
        ({"quantity": -3, "unit_cost": "1.00"}, "lines.0.quantity"),
        ({"unit_cost": "1.00"}, "lines.0.quantity"),
        ({"quantity": 1}, "lines.0.unit_cost"),
    ],
)
def test_bad_lines_are_400_and_nothing_is_written(manager_api, line, attr):
    product = ProductFactory()

    response = manager_api.post(
        URL,
        {"supplier": SupplierFactory().pk, "lines": [{"product": product.pk, **line}]},
        format="json",
    )

    assert_error(response, 400, attr=attr)
    assert not PurchaseOrder.objects.exists()
    assert not PurchaseOrderLine.objects.exists()


def test_the_same_product_twice_is_400(manager_api):
    product = ProductFactory()
    line = {"product": product.pk, "quantity": 1, "unit_cost": "1.00"}

    response = manager_api.post(
        URL, {"supplier": SupplierFactory().pk, "lines": [line, line]}, format="json"
    )

    assert_error(response, 400, code="duplicate_product", attr="lines")
    assert not PurchaseOrder.objects.exists()


def test_an_inactive_supplier_or_location_is_400(manager_api):
    inactive = SupplierFactory(is_active=False)
    closed = LocationFactory(is_active=False)

    by_supplier = manager_api.post(URL, {"supplier": inactive.pk}, format="json")
    by_location = manager_api.post(
        URL,
        {"supplier": SupplierFactory().pk, "location": closed.pk},
        format="json",
    )

    assert_error(by_supplier, 400, code="inactive_supplier", attr="supplier")
    assert_error(by_location, 400, code="inactive_location", attr="location")
    assert not PurchaseOrder.objects.exists()


def test_unknown_supplier_or_product_is_400(manager_api):
    response = manager_api.post(
        URL,
        {
            "supplier": 999_999,
            "lines": [{"product": 999_999, "quantity": 1, "unit_cost": "1.00"}],
        },
        format="json",
    )

    assert_error(response, 400, code="does_not_exist")
    assert not PurchaseOrder.objects.exists()


def test_a_draft_is_edited_and_its_lines_replaced(manager_api):
    product, other = ProductFactory(), ProductFactory()
    purchase_order = PurchaseOrderFactory(lines=[(product, 2, "1.50")])

    response = manager_api.patch(
        f"{URL}{purchase_order.pk}/",
        {
            "notes": "changed",
            "lines": [{"product": other.pk, "quantity": 4, "unit_cost": "2.2500"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["notes"] == "changed"
    assert [(line["product"], line["quantity"]) for line in body["lines"]] == [
        (other.pk, 4)
    ]
    assert body["total_cost"] == "9.00"


def test_editing_or_deleting_after_draft_is_409_and_changes_nothing(manager_api):
    product = ProductFactory()
    purchase_order = ordered([(product, 2, "1.50")])

    edited = manager_api.patch(
        f"{URL}{purchase_order.pk}/", {"notes": "late"}, format="json"
    )
    deleted = manager_api.delete(f"{URL}{purchase_order.pk}/")

    assert_error(edited, 409, code="purchase_order_not_editable")
    assert_error(deleted, 409, code="purchase_order_not_editable")
    purchase_order.refresh_from_db()
    assert purchase_order.notes == "" and purchase_order.status == "ordered"


def test_a_draft_is_deleted(manager_api):
    purchase_order = PurchaseOrderFactory(lines=[(ProductFactory(), 1, "1.00")])

    assert manager_api.delete(f"{URL}{purchase_order.pk}/").status_code == 204

    assert not PurchaseOrder.objects.exists()
    assert AuditEntry.objects.filter(object_type="purchaseorder", action="delete")


def test_filters(manager_api):
    north = LocationFactory()
    supplier = SupplierFactory()
    mine = PurchaseOrderFactory(supplier=supplier, location=north)
    PurchaseOrderFactory()
    ordered([(ProductFactory(), 1, "1.00")])

    def ids(**query):
        return [row["id"] for row in manager_api.get(URL, query).json()["results"]]

    assert ids(supplier=supplier.pk) == [mine.pk]
    assert ids(location=north.pk) == [mine.pk]
    assert len(ids(status="draft")) == 2
    assert len(ids(status="ordered")) == 1


def test_the_list_costs_constant_queries(manager_api, django_assert_max_num_queries):
    products = ProductFactory.create_batch(3)
    for _ in range(10):
        PurchaseOrderFactory(lines=[(p, 1, "1.00") for p in products])
    manager_api.get(URL)

    with django_assert_max_num_queries(7):
        small = manager_api.get(URL, {"page_size": 1})
    with django_assert_max_num_queries(7):
        large = manager_api.get(URL, {"page_size": 10})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 10


# --- The state machine ---------------------------------------------------------


def test_ordering_an_empty_draft_is_409(manager_api):
    purchase_order = PurchaseOrderFactory()

    response = action(manager_api, purchase_order, "order")

    assert_error(response, 409, code="purchase_order_empty")
    purchase_order.refresh_from_db()
    assert purchase_order.status == "draft" and purchase_order.ordered_at is None


def test_ordering_a_draft_of_a_supplier_deactivated_since_is_400(manager_api):
    purchase_order = PurchaseOrderFactory(lines=[(ProductFactory(), 1, "1.00")])
    from catalog.services import supplier_update

    supplier_update(supplier=purchase_order.supplier, is_active=False)

    response = action(manager_api, purchase_order, "order")

    assert_error(response, 400, code="inactive_supplier")
    purchase_order.refresh_from_db()
    assert purchase_order.status == "draft"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ((), "close"),
        ((), "receive"),
        (("order",), "order"),
        (("order",), "close"),
        (("order", "receive"), "receive"),
        (("order", "receive"), "cancel"),
        (("order", "receive"), "close"),
        (("cancel",), "order"),
        (("cancel",), "cancel"),
        (("order", "cancel"), "receive"),
    ],
)
def test_every_illegal_transition_is_409_and_changes_nothing(manager_api, path, name):
    product = ProductFactory(stock=0)
    purchase_order = PurchaseOrderFactory(lines=[(product, 2, "1.00")])
    for step in path:
        assert action(manager_api, purchase_order, step).status_code == 200
    purchase_order.refresh_from_db()
    before = (purchase_order.status, StockMovement.objects.count())

    response = action(manager_api, purchase_order, name)

    assert_error(response, 409, code="invalid_transition")
    purchase_order.refresh_from_db()
    assert (purchase_order.status, StockMovement.objects.count()) == before


def test_receiving_in_two_parts_adds_stock_at_cost_and_moves_the_average(
    manager_api,
):
    north = LocationFactory()
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 15, "12.3456")], location=north)

    first = action(
        manager_api,
        purchase_order,
        "receive",
        {"lines": [{"product": product.pk, "quantity": 10}]},
    )

    assert first.status_code == 200, first.content
    body = first.json()
    assert body["status"] == "partially_received"
    assert body["received_at"] is None
    assert body["lines"][0]["received_quantity"] == 10
    assert stock_of(product, north) == 10
    movement = StockMovement.objects.get(reason="purchase")
    assert (movement.location_id, movement.quantity, movement.purchase_order_id) == (
        north.pk,
        10,
        purchase_order.pk,
    )
    listed = manager_api.get(
        "/api/v1/stock-movements/", {"purchase_order": purchase_order.pk}
    ).json()["results"]
    assert [m["unit_cost"] for m in listed] == ["12.3456"]
    product_body = manager_api.get(f"/api/v1/products/{product.pk}/").json()
    assert product_body["average_cost"] == "12.3456"
    assert product_body["stock"] == 10

    second = action(manager_api, purchase_order, "receive")  # all still awaited

    assert second.status_code == 200, second.content
    body = second.json()
    assert body["status"] == "received"
    assert body["received_at"] is not None
    assert body["lines"][0]["received_quantity"] == 15
    assert stock_of(product, north) == 15
    assert manager_api.get(f"/api/v1/products/{product.pk}/").json()[
        "average_cost"
    ] == ("12.3456")
    assert_ledger_exact()


def test_the_average_cost_follows_the_formula_over_all_locations(manager_api):
    north = LocationFactory()
    product = ProductFactory(stock=0)
    first = ordered([(product, 10, "12.3456")])
    second = ordered([(product, 5, "10.0000")], location=north)

    action(manager_api, first, "receive")
    action(manager_api, second, "receive")

    # S = 10 (at MAIN), a = 12.3456: (123.456 + 50) / 15 = 11.56373...
    product.refresh_from_db()
    assert product.average_cost == Decimal("11.5637")
    body = manager_api.get(f"/api/v1/products/{product.pk}/").json()
    assert body["average_cost"] == "11.5637"
    assert body["supplier"] is None


def test_a_receipt_when_stock_is_zero_takes_the_receipt_cost():
    assert average_cost(
        stock=0, average=Decimal("5.0000"), quantity=3, unit_cost=Decimal("2.5000")
    ) == Decimal("2.5000")
    assert average_cost(
        stock=4, average=Decimal("1.0000"), quantity=4, unit_cost=Decimal("2.0001")
    ) == Decimal("1.5001")  # 1.50005 half up
    assert average_cost(
        stock=1, average=Decimal("0.0001"), quantity=2, unit_cost=Decimal("0.0001")
    ) == Decimal("0.0001")


def test_opening_stock_without_a_cost_weighs_in_at_its_average(manager_api):
    product = ProductFactory(stock=10)  # average 0.0000 until bought
    purchase_order = ordered([(product, 10, "3.0000")])

    action(manager_api, purchase_order, "receive")

    product.refresh_from_db()
    assert product.average_cost == Decimal("1.5000")


def test_receiving_more_than_a_line_awaits_is_409_and_changes_nothing(manager_api):
    product, other = ProductFactory(stock=0), ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "1.00"), (other, 5, "1.00")])
    action(
        manager_api,
        purchase_order,
        "receive",
        {"lines": [{"product": product.pk, "quantity": 3}]},
    )
    before = StockMovement.objects.count()

    response = action(
        manager_api,
        purchase_order,
        "receive",
        {
            "lines": [
                {"product": product.pk, "quantity": 3},
                {"product": other.pk, "quantity": 1},
            ]
        },
    )

    body = assert_error(response, 409, code="more_than_awaited")
    assert len(body["errors"]) == 1 and "awaits only 2" in body["errors"][0]["detail"]
    nothing_written(before)
    assert list(
        PurchaseOrderLine.objects.order_by("product_id").values_list(
            "received_quantity", flat=True
        )
    ) == [3, 0]
    product.refresh_from_db()
    other.refresh_from_db()
    assert (product.average_cost, other.average_cost) == (Decimal(1), Decimal(0))


@pytest.mark.parametrize(
    "lines",
    [
        [{"quantity": 1}],
        [{"quantity": 0}],
        [{"quantity": -1}],
        [{"quantity": 1}, {"quantity": 1}],
    ],
)
def test_bad_receipts_are_400_and_change_nothing(manager_api, lines):
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "1.00")])
    stranger = ProductFactory(stock=0)
    target = stranger if len(lines) == 1 and lines[0]["quantity"] == 1 else product
    before = StockMovement.objects.count()

    response = action(
        manager_api,
        purchase_order,
        "receive",
        {"lines": [{"product": target.pk, **line} for line in lines]},
    )

    assert_error(response, 400)
    nothing_written(before)
    purchase_order.refresh_from_db()
    assert purchase_order.status == "ordered"


def test_close_stops_waiting_and_cancel_ends_a_draft_or_ordered(manager_api):
    product = ProductFactory(stock=0)
    partial = ordered([(product, 5, "1.00")])
    action(
        manager_api,
        partial,
        "receive",
        {"lines": [{"product": product.pk, "quantity": 2}]},
    )
    draft = PurchaseOrderFactory(lines=[(product, 1, "1.00")])
    sent = ordered([(product, 1, "1.00")])

    closed = action(manager_api, partial, "close").json()
    cancelled = [action(manager_api, po, "cancel").json() for po in (draft, sent)]

    assert closed["status"] == "closed" and closed["closed_at"]
    assert [c["status"] for c in cancelled] == ["cancelled", "cancelled"]
    assert all(c["cancelled_at"] for c in cancelled)
    assert stock_of(product) == 2
    entries = AuditEntry.objects.filter(object_type="purchaseorder").values_list(
        "action", flat=True
    )
    assert {"order", "receive", "close", "cancel"} <= set(entries)


def test_a_receive_retried_with_its_idempotency_key_receives_once(manager_api):
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "1.00")])
    body = {"lines": [{"product": product.pk, "quantity": 2}]}

    first = action(
        manager_api, purchase_order, "receive", body, HTTP_IDEMPOTENCY_KEY="r-1"
    )
    again = action(
        manager_api, purchase_order, "receive", body, HTTP_IDEMPOTENCY_KEY="r-1"
    )

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert stock_of(product) == 2


def test_a_receipt_records_purchase_order_received_for_the_webhooks(manager_api):
    from integrations.models import Webhook

    Webhook.objects.create(
        url="http://127.0.0.1:9/hook",
        events=["purchase_order.received"],
        secret="s" * 24,
    )
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "1.2500")])

    action(manager_api, purchase_order, "receive")

    event = Event.objects.get()
    assert event.type == "purchase_order.received"
    data = json.loads(event.data)
    assert data["id"] == purchase_order.pk and data["status"] == "received"
    assert data["total_cost"] == "6.25"


def test_a_refused_receipt_records_no_event(manager_api):
    from integrations.models import Webhook

    Webhook.objects.create(
        url="http://127.0.0.1:9/hook",
        events=["purchase_order.received"],
        secret="s" * 24,
    )
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 1, "1.00")])

    action(
        manager_api,
        purchase_order,
        "receive",
        {"lines": [{"product": product.pk, "quantity": 2}]},
    )

    assert not Event.objects.exists()


# --- Who sees which location ---------------------------------------------------


def test_a_scoped_warehouse_user_sees_and_receives_only_at_their_locations(
    as_role,
):
    north, south = LocationFactory(), LocationFactory()
    api = as_role("warehouse")
    EmployeeFactory(user=api.user).locations.set([north])
    product = ProductFactory(stock=0)
    mine = ordered([(product, 1, "1.00")], location=north)
    theirs = ordered([(product, 1, "1.00")], location=south)

    listed = [row["id"] for row in api.get(URL).json()["results"]]

    assert listed == [mine.pk]
    assert_error(api.get(f"{URL}{theirs.pk}/"), 404)
    assert_error(action(api, theirs, "receive"), 404)
    assert action(api, mine, "receive").status_code == 200
    assert stock_of(product, south) == 0 and stock_of(product, north) == 1


def test_a_scoped_manager_writes_anywhere_but_a_scoped_user_not(as_role):
    north, south = LocationFactory(), LocationFactory()
    user = UserFactory(roles=["manager"])
    EmployeeFactory(user=user).locations.set([north])
    from tests.conftest import client_for

    response = client_for(user).post(
        URL, {"supplier": SupplierFactory().pk, "location": south.pk}, format="json"
    )

    assert response.status_code == 201  # managers see every location


def test_deleting_a_product_on_a_purchase_order_is_409(manager_api):
    product = ProductFactory(stock=0)
    PurchaseOrderFactory(lines=[(product, 1, "1.00")])

    response = manager_api.delete(f"/api/v1/products/{product.pk}/")

    assert_error(response, 409)
    assert Product.objects.filter(pk=product.pk).exists()


@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00+23:59", "9999-12-31T23:59:59-15:00", 5, "soon"]
)
def test_an_expected_date_postgresql_cannot_store_is_400(manager_api, value):
    response = manager_api.post(
        URL, {"supplier": SupplierFactory().pk, "expected_at": value}, format="json"
    )

    assert_error(response, 400, attr="expected_at")
    assert not PurchaseOrder.objects.exists()


def test_the_expected_date_is_answered_in_utc(manager_api):
    response = manager_api.post(
        URL,
        {"supplier": SupplierFactory().pk, "expected_at": "2026-01-01T10:00:00-05:00"},
        format="json",
    )

    assert response.json()["expected_at"] == "2026-01-01T15:00:00Z"
