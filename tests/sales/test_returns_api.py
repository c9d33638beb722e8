"""Returns through the API: refunds to the cent, stock back, refusals change nothing."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from audit.models import AuditEntry
from catalog.services import RateSpec, tax_class_create
from integrations.models import Event, Webhook
from inventory.models import StockMovement
from inventory.services import stock_apply
from sales.models import Order, OrderLine, Return, ReturnLine
from sales.money import Discount
from sales.returns import ReturnLineSpec, return_create
from sales.services import order_transition
from staff.services import employee_create
from tests.factories import LocationFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error, assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
RETURNS = "/api/v1/returns/"


def _order(lines, *, status="delivered", **fields):
    order = OrderFactory(lines=lines, **fields)
    steps = {
        "draft": [],
        "confirmed": ["confirm"],
        "shipped": ["confirm", "ship"],
        "delivered": ["confirm", "ship", "deliver"],
        "cancelled": ["cancel"],
    }[status]
    for action in steps:
        order_transition(order_id=order.pk, action=action)
    return Order.objects.get(pk=order.pk)


def _line(product, quantity, restock=True, reason="unwanted"):
    return {
        "product": product.pk,
        "quantity": quantity,
        "restock": restock,
        "reason": reason,
    }


def _post(api, order, *lines, note="", **headers):
    return api.post(
        f"{ORDERS}{order.pk}/returns/",
        {"lines": list(lines), "note": note},
        format="json",
        **headers,
    )


def _written():
    """Everything a return writes, to show a refusal wrote none of it."""
    return (
        Return.objects.count(),
        ReturnLine.objects.count(),
        StockMovement.objects.count(),
        AuditEntry.objects.filter(object_type="return").count(),
        Event.objects.count(),
        list(Order.objects.order_by("pk").values_list("pk", "refunded_amount")),
        list(OrderLine.objects.order_by("pk").values_list("pk", "returned_quantity")),
    )


@pytest.fixture
def hook(db):
    return Webhook.objects.create(
        url="http://127.0.0.1:9/hook", events=["return.created"], secret="s" * 20
    )


def test_a_partial_return_refunds_its_share_and_restocks_at_the_orders_location(
    manager_api, hook
):
    north = LocationFactory(code="NORTH")
    mug = ProductFactory(unit_price=Decimal("3.33"), stock=0)

    stock_apply(location_id=north.pk, changes={mug.pk: 10}, reason="restock")
    order = _order([(mug, 3)], location=north)
    main_before = stock_of(mug) - stock_of(mug, north)

    response = _post(manager_api, order, _line(mug, 1), note="Chipped handle")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "order": order.pk,
        "location": north.pk,
        "lines": [
            {
                "product": mug.pk,
                "product_name": mug.name,
                "quantity": 1,
                "restock": True,
                "reason": "unwanted",
                "refund_amount": "3.33",
            }
        ],
        "refund_amount": "3.33",
        "note": "Chipped handle",
        "created_by": manager_api.user.username,
        "created_at": body["created_at"],
    }
    assert stock_of(mug, north) == 10 - 3 + 1
    assert stock_of(mug) - stock_of(mug, north) == main_before
    movement = StockMovement.objects.get(reason="return")
    assert (movement.location_id, movement.quantity) == (north.pk, 1)
    assert (movement.order_id, movement.return_id) == (order.pk, body["id"])
    assert_ledger_exact()

    shown = manager_api.get(f"{ORDERS}{order.pk}/").json()
    assert shown["refunded_amount"] == "3.33"
    assert shown["lines"][0]["returned_quantity"] == 1
    listed = manager_api.get(ORDERS).json()["results"][0]
    assert listed["refunded_amount"] == "3.33"
    assert listed["lines"][0]["returned_quantity"] == 1

    entry = AuditEntry.objects.get(object_type="return")
    assert (entry.action, entry.object_id) == ("create", body["id"])
    assert entry.actor == manager_api.user.username
    assert entry.changes["refund_amount"] == [None, "3.33"]
    event = Event.objects.get(type="return.created")
    assert (event.object_type, event.object_id) == ("return", body["id"])
    assert event.data == manager_api.get(f"{RETURNS}{body['id']}/").content.decode()


def test_a_written_off_line_changes_no_stock(manager_api):
    mug = ProductFactory(stock=5)
    order = _order([(mug, 2)], status="shipped")
    movements = StockMovement.objects.count()

    response = _post(manager_api, order, _line(mug, 2, restock=False, reason="damaged"))

    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["restock"] is False
    assert response.json()["refund_amount"] == "20.00"
    assert stock_of(mug) == 3
    assert StockMovement.objects.count() == movements
    assert_ledger_exact()


def test_the_completing_return_refunds_exactly_what_is_left(manager_api):
    pen = ProductFactory(unit_price=Decimal("1.00"))
    cap = ProductFactory(unit_price=Decimal("5.00"))
    order = _order([(pen, 3), (cap, 1)])
    order.refresh_from_db()

    first = _post(manager_api, order, _line(pen, 1), _line(cap, 1)).json()
    second = _post(manager_api, order, _line(pen, 1)).json()
    third = _post(manager_api, order, _line(pen, 1, reason="other")).json()

    assert [r["refund_amount"] for r in (first, second, third)] == [
        "6.00",
        "1.00",
        "1.00",
    ]
    order.refresh_from_db()
    assert order.refunded_amount == order.total_amount == Decimal("8.00")
    assert list(order.lines.values_list("returned_quantity", flat=True)) == [3, 1]


@pytest.mark.parametrize("status", ["draft", "confirmed", "cancelled"])
def test_an_order_not_yet_shipped_or_cancelled_cannot_be_returned(manager_api, status):
    mug = ProductFactory()
    order = _order([(mug, 1)], status=status)
    before = _written()

    response = _post(manager_api, order, _line(mug, 1))

    assert_error(response, 409, code="order_not_returnable")
    assert _written() == before


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"product": "other", "quantity": 1}, "not_on_order"),
        ({"product": 999_999_999, "quantity": 1}, "not_on_order"),
        ({"quantity": 0}, "min_value"),
        ({"quantity": -2}, "min_value"),
        ({"reason": "changed_mind"}, "invalid_choice"),
        ({"restock": "maybe"}, "invalid"),
    ],
)
def test_a_bad_line_is_refused_with_400(manager_api, hook, line, code):
    mug, other = ProductFactory(), ProductFactory()
    order = _order([(mug, 2)])
    body = _line(mug, 1)
    body.update(line)
    if body["product"] == "other":
        body["product"] = other.pk
    before = _written()

    response = _post(manager_api, order, body)

    assert_error(response, 400, code=code)
    assert _written() == before


def test_the_same_product_twice_in_one_return_is_refused(manager_api, hook):
    mug = ProductFactory()
    order = _order([(mug, 4)])
    before = _written()

    response = _post(manager_api, order, _line(mug, 1), _line(mug, 1))

    assert_error(response, 400, code="duplicate_product", attr="lines")
    assert _written() == before


def test_a_return_without_lines_is_refused(manager_api):
    order = _order([(ProductFactory(), 1)])

    assert_error(_post(manager_api, order), 400, code="empty", attr="lines")
    assert not Return.objects.exists()


def test_more_than_is_left_to_return_is_refused_with_409_naming_each_line(
    manager_api, hook
):
    mug, cup = ProductFactory(), ProductFactory()
    order = _order([(mug, 3), (cup, 1)])
    assert _post(manager_api, order, _line(mug, 2)).status_code == 201
    before = _written()

    response = _post(manager_api, order, _line(mug, 2), _line(cup, 2))

    body = assert_error(response, 409, code="more_than_returnable")
    assert len(body["errors"]) == 2
    assert "only 1 of 3" in body["errors"][0]["detail"]
    assert _written() == before


def test_unknown_orders_answer_404(manager_api):
    mug = ProductFactory()
    for order_id in ("999999", "abc", "-1", "9" * 30):
        response = manager_api.post(
            f"{ORDERS}{order_id}/returns/", {"lines": [_line(mug, 1)]}, format="json"
        )
        assert_error(response, 404)


def test_a_retry_with_the_same_idempotency_key_records_one_return(manager_api):
    mug = ProductFactory()
    order = _order([(mug, 3)])

    first = _post(manager_api, order, _line(mug, 1), HTTP_IDEMPOTENCY_KEY="r-1")
    again = _post(manager_api, order, _line(mug, 1), HTTP_IDEMPOTENCY_KEY="r-1")
    other = _post(manager_api, order, _line(mug, 2), HTTP_IDEMPOTENCY_KEY="r-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert_error(other, 422)
    assert Return.objects.count() == 1
    assert stock_of(mug) == 10 - 3 + 1


def test_the_list_filters_by_order_location_and_dates(manager_api):
    north = LocationFactory()
    mug = ProductFactory(stock=50)
    here = _order([(mug, 2)])

    stock_apply(location_id=north.pk, changes={mug.pk: 5}, reason="restock")
    there = _order([(mug, 2)], location=north)
    a = return_create(
        order_id=here.pk, lines=[ReturnLineSpec(mug.pk, 1, True, "unwanted")]
    )
    b = return_create(
        order_id=there.pk, lines=[ReturnLineSpec(mug.pk, 1, False, "defective")]
    )

    def ids(**params):
        response = manager_api.get(RETURNS, params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [b.pk, a.pk]
    assert ids(order=here.pk) == [a.pk]
    assert ids(location=north.pk) == [b.pk]
    assert ids(created_after=b.created_at.isoformat()) == [b.pk]
    assert ids(created_before=a.created_at.isoformat()) == [a.pk]
    assert_error(manager_api.get(RETURNS, {"order": "x"}), 400)


def test_a_scoped_clerk_sees_and_returns_only_at_their_locations(as_role):
    north, south = LocationFactory(), LocationFactory()
    mug = ProductFactory(stock=0)

    for location in (north, south):
        stock_apply(location_id=location.pk, changes={mug.pk: 5}, reason="restock")
    mine = _order([(mug, 2)], location=north)
    theirs = _order([(mug, 2)], location=south)
    elsewhere = return_create(
        order_id=theirs.pk, lines=[ReturnLineSpec(mug.pk, 1, True, "unwanted")]
    )
    clerk = as_role("clerk")
    employee = employee_create(name="Clerk", position="Sales", user=clerk.user)
    employee.locations.set([north])

    assert _post(clerk, mine, _line(mug, 1)).status_code == 201
    assert_error(_post(clerk, theirs, _line(mug, 1)), 404)
    listed = clerk.get(RETURNS).json()["results"]
    assert [r["order"] for r in listed] == [mine.pk]
    assert_error(clerk.get(f"{RETURNS}{elsewhere.pk}/"), 404)
    assert Return.objects.filter(order=theirs).count() == 1


def test_the_returns_list_costs_constant_queries(
    manager_api, django_assert_max_num_queries
):
    products = ProductFactory.create_batch(3, stock=100)
    for _ in range(12):
        order = _order([(p, 2) for p in products])
        return_create(
            order_id=order.pk,
            lines=[ReturnLineSpec(p.pk, 1, True, "unwanted") for p in products],
        )
    manager_api.get(RETURNS)

    with django_assert_max_num_queries(8):
        few = manager_api.get(RETURNS, {"page_size": 2})
    with django_assert_max_num_queries(8):
        many = manager_api.get(RETURNS, {"page_size": 12})

    assert len(few.json()["results"]) == 2
    assert sum(len(r["lines"]) for r in many.json()["results"]) == 36


@pytest.mark.parametrize(
    ("role", "status"), [("manager", 201), ("clerk", 201), ("warehouse", 403)]
)
def test_who_may_record_a_return(as_role, role, status):
    mug = ProductFactory()
    order = _order([(mug, 2)])

    response = _post(as_role(role), order, _line(mug, 1))

    assert response.status_code == status, response.content
    assert Return.objects.count() == (1 if status == 201 else 0)
    assert as_role(role).get(RETURNS).status_code == 200


def test_a_user_in_no_group_reads_no_returns(as_role):
    assert_error(as_role().get(RETURNS), 403)


def test_three_awkward_returns_refund_exactly_what_a_taxed_discounted_line_cost(
    manager_api,
):
    quebec = tax_class_create(
        name="Quebec",
        rates=[
            RateSpec(name="GST", rate=Decimal("0.05")),
            RateSpec(name="QST", rate=Decimal("0.09975")),
        ],
    )
    lamp = ProductFactory(unit_price=Decimal("19.99"), stock=50, tax_class=quebec)
    bulb = ProductFactory(unit_price=Decimal("3.47"), stock=50, tax_class=quebec)
    order = OrderFactory(
        lines=[(lamp, 7), (bulb, 11)], discount=Discount("percent", Decimal("12.5"))
    )
    for action in ("confirm", "ship", "deliver"):
        order_transition(order_id=order.pk, action=action)
    line = order.lines.get(product=lamp)
    line.refresh_from_db()
    assert line.taxes[0]["rate"] != line.taxes[1]["rate"]
    assert line.discount_amount > 0

    refunds = [
        Decimal(_post(manager_api, order, _line(lamp, q)).json()["refund_amount"])
        for q in (3, 1, 3)
    ]

    paid = line.net_amount + line.tax_amount
    assert refunds[0] == (paid * 3 / 7).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert refunds[1] == (paid / 7).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert sum(refunds) == paid
    order.refresh_from_db()
    assert order.refunded_amount == paid
    shown = manager_api.get(f"{ORDERS}{order.pk}/").json()
    assert shown["refunded_amount"] == f"{paid:.2f}"
    bulbs = _post(manager_api, order, _line(bulb, 11)).json()
    order.refresh_from_db()
    assert order.refunded_amount == order.total_amount
    assert Decimal(bulbs["refund_amount"]) == order.total_amount - paid


def test_a_clients_export_holds_the_returns_of_their_orders(manager_api):
    mug = ProductFactory()
    order = _order([(mug, 2)])
    _order([(mug, 1)])  # another client's
    made = _post(manager_api, order, _line(mug, 1)).json()

    export = manager_api.get(f"/api/v1/clients/{order.client_id}/export/").json()

    assert export["returns"] == [made]
    assert export["orders"][0]["refunded_amount"] == made["refund_amount"]


def test_the_ledger_names_the_return_and_a_manual_return_needs_no_order(manager_api):
    mug = ProductFactory(stock=5)
    order = _order([(mug, 2)])
    made = _post(manager_api, order, _line(mug, 1)).json()
    manual = manager_api.post(
        f"/api/v1/products/{mug.pk}/adjust-stock/",
        {"quantity": 1, "reason": "return", "note": "No receipt"},
        format="json",
    )

    movements = manager_api.get(
        "/api/v1/stock-movements/", {"return": made["id"]}
    ).json()["results"]
    manual_returns = manager_api.get(
        "/api/v1/stock-movements/", {"reason": "return"}
    ).json()["results"]

    assert manual.status_code == 200, manual.content
    assert [(m["quantity"], m["order"], m["return"]) for m in movements] == [
        (1, order.pk, made["id"])
    ]
    assert sorted((m["order"] or 0, m["return"] or 0) for m in manual_returns) == [
        (0, 0),
        (order.pk, made["id"]),
    ]
    assert stock_of(mug) == 5 - 2 + 1 + 1
