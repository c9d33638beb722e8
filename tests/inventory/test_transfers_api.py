"""Transfers through the API: draft, ship, receive (in part), cancel."""

import pytest

from audit.models import AuditEntry
from inventory.models import Location, StockMovement, Transfer
from inventory.services import stock_apply
from staff.models import Employee
from tests.factories import EmployeeFactory, LocationFactory, ProductFactory
from tests.helpers import assert_error, assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/transfers/"


@pytest.fixture
def ends():
    return Location.objects.get(code="MAIN"), LocationFactory(code="NORTH")


def draft(api, source, destination, *lines, notes=""):
    response = api.post(
        URL,
        {
            "from_location": source.pk,
            "to_location": destination.pk,
            "lines": [{"product": p.pk, "quantity": q} for p, q in lines],
            "notes": notes,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_transfer_ships_receives_and_moves_the_stock(as_role, ends):
    main, north = ends
    keeper = as_role("warehouse")
    pen, ink = ProductFactory(stock=10), ProductFactory(stock=5)

    created = draft(keeper, main, north, (pen, 4), (ink, 5), notes="Weekly")
    shipped = keeper.post(f"{URL}{created['id']}/ship/")
    in_transit = (stock_of(pen, main), stock_of(pen, north), stock_of(pen))
    received = keeper.post(f"{URL}{created['id']}/receive/")

    assert created["status"] == "draft"
    assert created["created_by"] == keeper.user.username
    assert [(line["product"], line["quantity"]) for line in created["lines"]] == [
        (pen.pk, 4),
        (ink.pk, 5),
    ]
    assert shipped.status_code == 200 and shipped.json()["status"] == "in_transit"
    assert shipped.json()["shipped_at"] is not None
    assert in_transit == (6, 0, 6)
    body = received.json()
    assert (body["status"], body["received_at"] is not None) == ("received", True)
    assert [line["received_quantity"] for line in body["lines"]] == [4, 5]
    assert (stock_of(pen, main), stock_of(pen, north)) == (6, 4)
    assert (stock_of(ink, main), stock_of(ink, north)) == (0, 5)
    moves = StockMovement.objects.filter(transfer_id=created["id"]).order_by("pk")
    assert [(m.product_id, m.location_id, m.quantity, m.reason) for m in moves] == [
        (pen.pk, main.pk, -4, "transfer_out"),
        (ink.pk, main.pk, -5, "transfer_out"),
        (pen.pk, north.pk, 4, "transfer_in"),
        (ink.pk, north.pk, 5, "transfer_in"),
    ]
    assert_ledger_exact()
    actions = list(
        AuditEntry.objects.filter(object_type="transfer")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "ship", "receive"]


def test_a_partial_receipt_records_what_arrived_and_the_rest_is_lost(manager_api, ends):
    main, north = ends
    pen, ink = ProductFactory(stock=10), ProductFactory(stock=10)
    created = draft(manager_api, main, north, (pen, 6), (ink, 3))
    manager_api.post(f"{URL}{created['id']}/ship/")

    response = manager_api.post(
        f"{URL}{created['id']}/receive/",
        {"lines": [{"product": pen.pk, "quantity": 4}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [line["received_quantity"] for line in response.json()["lines"]] == [4, 0]
    assert (stock_of(pen, main), stock_of(pen, north)) == (4, 4)
    assert (stock_of(ink, main), stock_of(ink, north)) == (7, 0)
    assert_ledger_exact()


@pytest.mark.parametrize(
    "lines, code",
    [
        ([{"product": "PEN", "quantity": 7}], "more_than_shipped"),
        ([{"product": "OTHER", "quantity": 1}], "not_on_transfer"),
        (
            [{"product": "PEN", "quantity": 1}, {"product": "PEN", "quantity": 1}],
            "duplicate_product",
        ),
        ([{"product": "PEN", "quantity": -1}], "min_value"),
    ],
)
def test_a_bad_receipt_is_400_and_changes_nothing(manager_api, ends, lines, code):
    main, north = ends
    pen, other = ProductFactory(stock=10), ProductFactory(stock=1)
    created = draft(manager_api, main, north, (pen, 6))
    manager_api.post(f"{URL}{created['id']}/ship/")
    ids = {"PEN": pen.pk, "OTHER": other.pk}
    body = {"lines": [{**line, "product": ids[line["product"]]} for line in lines]}

    response = manager_api.post(f"{URL}{created['id']}/receive/", body, format="json")

    assert_error(response, 400, code=code)
    transfer = Transfer.objects.get(pk=created["id"])
    assert transfer.status == "in_transit"
    assert not transfer.lines.filter(received_quantity__isnull=False).exists()
    assert stock_of(pen, north) == 0


def test_cancelling_in_transit_gives_the_units_back_to_the_origin(manager_api, ends):
    main, north = ends
    pen = ProductFactory(stock=10)
    created = draft(manager_api, main, north, (pen, 6))
    manager_api.post(f"{URL}{created['id']}/ship/")

    response = manager_api.post(f"{URL}{created['id']}/cancel/")

    assert response.json()["status"] == "cancelled"
    assert (stock_of(pen, main), stock_of(pen, north)) == (10, 0)
    reasons = StockMovement.objects.filter(transfer_id=created["id"]).order_by("pk")
    assert [(m.quantity, m.reason, m.location_id) for m in reasons] == [
        (-6, "transfer_out", main.pk),
        (6, "transfer_in", main.pk),
    ]


def test_cancelling_a_draft_moves_no_stock(manager_api, ends):
    main, north = ends
    pen = ProductFactory(stock=10)
    created = draft(manager_api, main, north, (pen, 6))

    assert manager_api.post(f"{URL}{created['id']}/cancel/").status_code == 200
    assert not StockMovement.objects.filter(transfer_id=created["id"]).exists()
    assert stock_of(pen, main) == 10


@pytest.mark.parametrize(
    "steps, action",
    [
        ([], "receive"),
        (["ship"], "ship"),
        (["ship", "receive"], "receive"),
        (["ship", "receive"], "cancel"),
        (["cancel"], "ship"),
        (["cancel"], "cancel"),
    ],
)
def test_every_illegal_transition_is_409_and_changes_nothing(
    manager_api, ends, steps, action
):
    main, north = ends
    pen = ProductFactory(stock=10)
    created = draft(manager_api, main, north, (pen, 2))
    for step in steps:
        assert manager_api.post(f"{URL}{created['id']}/{step}/").status_code == 200
    movements = StockMovement.objects.count()
    status = Transfer.objects.get(pk=created["id"]).status

    response = manager_api.post(f"{URL}{created['id']}/{action}/")

    assert_error(response, 409, code="invalid_transition")
    assert Transfer.objects.get(pk=created["id"]).status == status
    assert StockMovement.objects.count() == movements


def test_shipping_more_than_the_origin_has_is_409_naming_each_product(
    manager_api, ends
):
    main, north = ends
    pen, ink = ProductFactory(name="Pen", stock=3), ProductFactory(name="Ink", stock=1)
    stock_apply(location_id=north.pk, changes={pen.pk: 50}, reason="restock")
    created = draft(manager_api, main, north, (pen, 4), (ink, 2))

    response = manager_api.post(f"{URL}{created['id']}/ship/")

    body = assert_error(response, 409, code="insufficient_stock")
    details = " ".join(e["detail"] for e in body["errors"])
    assert "'Pen'" in details and "at MAIN: 4 requested, 3 available" in details
    assert "'Ink'" in details and "2 requested, 1 available" in details
    assert Transfer.objects.get(pk=created["id"]).status == "draft"
    assert (stock_of(pen, main), stock_of(ink, main)) == (3, 1)


def test_a_transfer_without_lines_cannot_ship(manager_api, ends):
    created = draft(manager_api, *ends)

    assert_error(
        manager_api.post(f"{URL}{created['id']}/ship/"), 409, code="transfer_empty"
    )


def test_bad_drafts_are_400_and_write_nothing(manager_api, ends):
    main, north = ends
    closed = LocationFactory(is_active=False)
    pen = ProductFactory(stock=5)
    line = [{"product": pen.pk, "quantity": 1}]

    def post(**body):
        return manager_api.post(URL, {"lines": line, **body}, format="json")

    same = post(from_location=main.pk, to_location=main.pk)
    inactive = post(from_location=closed.pk, to_location=north.pk)
    unknown = post(from_location=main.pk, to_location=999_999)
    twice = manager_api.post(
        URL,
        {
            "from_location": main.pk,
            "to_location": north.pk,
            "lines": line + line,
        },
        format="json",
    )
    zero = post(
        from_location=main.pk,
        to_location=north.pk,
        lines=[{"product": pen.pk, "quantity": 0}],
    )

    assert_error(same, 400, code="same_location", attr="to_location")
    assert_error(inactive, 400, code="inactive_location", attr="from_location")
    assert_error(unknown, 400, code="does_not_exist", attr="to_location")
    assert_error(twice, 400, code="duplicate_product")
    assert_error(zero, 400, code="min_value")
    assert not Transfer.objects.exists()


def test_a_draft_is_edited_and_deleted_only_while_draft(manager_api, ends):
    main, north = ends
    pen, ink = ProductFactory(stock=10), ProductFactory(stock=10)
    created = draft(manager_api, main, north, (pen, 2))
    url = f"{URL}{created['id']}/"

    edited = manager_api.patch(
        url, {"lines": [{"product": ink.pk, "quantity": 3}]}, format="json"
    )
    manager_api.post(f"{url}ship/")
    late_edit = manager_api.patch(url, {"notes": "x"}, format="json")
    late_delete = manager_api.delete(url)

    assert [(line["product"], line["quantity"]) for line in edited.json()["lines"]] == [
        (ink.pk, 3)
    ]
    assert_error(late_edit, 409, code="transfer_not_editable")
    assert_error(late_delete, 409, code="transfer_not_editable")
    other = draft(manager_api, main, north, (pen, 1))
    assert manager_api.delete(f"{URL}{other['id']}/").status_code == 204
    assert not Transfer.objects.filter(pk=other["id"]).exists()


def test_transfers_filter_by_status_and_ends(manager_api, ends):
    main, north = ends
    pen = ProductFactory(stock=10)
    out = draft(manager_api, main, north, (pen, 1))
    back = draft(manager_api, north, main)
    manager_api.post(f"{URL}{out['id']}/ship/")

    def ids(query):
        return [t["id"] for t in manager_api.get(URL + query).json()["results"]]

    assert ids("?status=in_transit") == [out["id"]]
    assert ids(f"?from_location={north.pk}") == [back["id"]]
    assert ids(f"?to_location={north.pk}") == [out["id"]]
    assert_error(manager_api.get(URL + "?status=lost"), 400)


def test_the_transfer_list_is_a_constant_number_of_queries(
    manager_api, ends, django_assert_max_num_queries
):
    products = [ProductFactory(stock=10) for _ in range(4)]
    for _ in range(12):
        draft(manager_api, *ends, *[(p, 1) for p in products])

    with django_assert_max_num_queries(4):
        response = manager_api.get(f"{URL}?page_size=50")

    assert len(response.json()["results"]) == 12


def test_clerks_may_read_transfers_but_not_write_them(as_role, ends):
    clerk = as_role("clerk")
    main, north = ends

    assert clerk.get(URL).status_code == 200
    refused = clerk.post(
        URL, {"from_location": main.pk, "to_location": north.pk}, format="json"
    )
    assert_error(refused, 403)


# --- Scoping -------------------------------------------------------------------


def scoped_keeper(as_role, *locations):
    api = as_role("warehouse")
    EmployeeFactory(user=api.user).locations.set(locations)
    return api


def test_a_transfer_is_visible_when_either_end_is_in_scope(as_role, ends):
    main, north = ends
    south = LocationFactory(code="SOUTH")
    manager = as_role("manager")
    pen = ProductFactory(stock=10)
    outgoing = draft(manager, north, main, (pen, 1))
    incoming = draft(manager, main, north, (pen, 1))
    elsewhere = draft(manager, main, south, (pen, 1))
    keeper = scoped_keeper(as_role, north)

    listed = sorted(t["id"] for t in keeper.get(URL).json()["results"])

    assert listed == sorted([outgoing["id"], incoming["id"]])
    assert_error(keeper.get(f"{URL}{elsewhere['id']}/"), 404)
    for action in ("ship", "cancel", "receive"):
        assert_error(keeper.post(f"{URL}{elsewhere['id']}/{action}/"), 404)
    assert Transfer.objects.get(pk=elsewhere["id"]).status == "draft"


def test_a_scoped_user_ships_only_from_and_receives_only_at_their_location(
    as_role, ends
):
    main, north = ends
    manager = as_role("manager")
    pen = ProductFactory(stock=10)
    incoming = draft(manager, main, north, (pen, 2))
    keeper = scoped_keeper(as_role, north)

    ship_theirs = keeper.post(f"{URL}{incoming['id']}/ship/")
    edit_theirs = keeper.patch(
        f"{URL}{incoming['id']}/", {"notes": "mine now"}, format="json"
    )
    create_theirs = keeper.post(
        URL, {"from_location": main.pk, "to_location": north.pk}, format="json"
    )
    manager.post(f"{URL}{incoming['id']}/ship/")
    received = keeper.post(f"{URL}{incoming['id']}/receive/")

    assert_error(ship_theirs, 400, code="out_of_scope", attr="from_location")
    assert_error(edit_theirs, 400, code="out_of_scope", attr="from_location")
    assert_error(create_theirs, 400, code="out_of_scope", attr="from_location")
    assert received.status_code == 200
    assert stock_of(pen, north) == 2

    outgoing = draft(keeper, north, main, (pen, 1))
    keeper.post(f"{URL}{outgoing['id']}/ship/")
    refused = keeper.post(f"{URL}{outgoing['id']}/receive/")
    assert_error(refused, 400, code="out_of_scope", attr="to_location")
    assert Transfer.objects.get(pk=outgoing["id"]).status == "in_transit"
    assert Employee.objects.get(user=keeper.user).locations.get() == north


def test_an_idempotency_key_replays_a_ship_once(manager_api, ends):
    main, north = ends
    pen = ProductFactory(stock=10)
    created = draft(manager_api, main, north, (pen, 3))
    url = f"{URL}{created['id']}/ship/"

    first = manager_api.post(url, HTTP_IDEMPOTENCY_KEY="ship-1")
    again = manager_api.post(url, HTTP_IDEMPOTENCY_KEY="ship-1")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert stock_of(pen, main) == 7
    assert StockMovement.objects.filter(transfer_id=created["id"]).count() == 1
