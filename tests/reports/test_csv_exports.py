"""``?format=csv`` on the lists: every matching row, streamed, as the JSON list."""

import csv
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from rest_framework.test import APIClient

from catalog.models import Product
from inventory.models import Location, StockMovement
from inventory.services import stock_apply
from sales.services import order_transition
from staff.models import Employee
from tests.factories import (
    CategoryFactory,
    ClientFactory,
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
)
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
API = "/api/v1/"


def rows_of(response) -> list[dict]:
    """The CSV body as dicts by the header's names, after the usual checks."""
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.csv"')
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def header_of(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return next(csv.reader(io.StringIO(body)))


def test_products_as_csv_are_every_row_not_one_page_with_the_lists_fields(
    manager_api,
):
    category = CategoryFactory(name="Tools")
    for n in range(60):
        ProductFactory(name=f"Tool {n:02d}", category=category, unit_price="1.05")

    response = manager_api.get(f"{API}products/?format=csv&ordering=name")

    assert header_of(manager_api.get(f"{API}products/?format=csv")) == [
        "id",
        "sku",
        "name",
        "description",
        "unit_price",
        "stock",
        "reorder_level",
        "is_low_stock",
        "category",
        "category_name",
        "tax_class",
        "supplier",
        "average_cost",
        "is_active",
        "created_at",
        "updated_at",
    ]
    rows = rows_of(response)
    assert len(rows) == 60  # the JSON list's page holds 50
    assert [row["name"] for row in rows] == [f"Tool {n:02d}" for n in range(60)]
    first = manager_api.get(f"{API}products/?ordering=name").json()["results"][0]
    assert rows[0] == {
        k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in first.items()
    }
    assert rows[0]["unit_price"] == "1.05" and rows[0]["stock"] == "10"


def test_the_csv_takes_the_lists_filters_and_search(manager_api):
    ProductFactory(name="Hammer", is_active=True)
    ProductFactory(name="Old hammer", is_active=False)
    ProductFactory(name="Saw")

    active = rows_of(manager_api.get(f"{API}products/?format=csv&is_active=true"))
    found = rows_of(manager_api.get(f"{API}products/?format=csv&search=hammer"))

    assert sorted(r["name"] for r in active) == ["Hammer", "Saw"]
    assert sorted(r["name"] for r in found) == ["Hammer", "Old hammer"]


@pytest.mark.parametrize(
    "accept", ["application/json", "text/html", "application/xml", "*/*", None]
)
def test_csv_is_answered_whatever_the_accept_header(manager_api, accept):
    ProductFactory(name="Hammer")
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    rows = rows_of(manager_api.get(f"{API}products/?format=csv", **headers))

    assert [row["name"] for row in rows] == ["Hammer"]


def test_a_bad_filter_is_a_json_400_not_a_csv(manager_api):
    response = manager_api.get(f"{API}products/?format=csv&is_active=maybe")

    assert_error(response, 400, attr="is_active")


@pytest.mark.parametrize(
    "path",
    ["products/", "clients/", "orders/", "stock-movements/", "stock-levels/"],
)
def test_reading_a_list_as_csv_needs_the_lists_permission(as_role, path):
    ProductFactory()
    no_group = as_role()

    assert_error(no_group.get(f"{API}{path}?format=csv"), 403, code="permission_denied")
    assert_error(APIClient().get(f"{API}{path}?format=csv"), 401)
    for role in ("clerk", "warehouse", "manager"):
        rows_of(as_role(role).get(f"{API}{path}?format=csv"))


def test_an_unknown_format_is_a_400(manager_api):
    assert_error(manager_api.get(f"{API}products/?format=xlsx"), 400, attr="format")
    product = ProductFactory()
    # CSV is for lists: one product as CSV is not offered.
    assert_error(
        manager_api.get(f"{API}products/{product.pk}/?format=csv"), 400, attr="format"
    )
    assert manager_api.get(f"{API}products/?format=json").status_code == 200
    # A method the list does not answer is a 405, with or without a format.
    response = manager_api.generic("TRACE", f"{API}products/?format=csv")
    assert_error(response, 405)
    response = manager_api.generic("TRACE", "/api/v1/reports/sales/?format=xlsx")
    assert_error(response, 405)
    # A path's format suffix is the router's: an unknown one names no resource.
    assert_error(manager_api.get(f"{API}products/{product.pk}.xlsx/"), 404)


def test_text_a_spreadsheet_would_run_is_neutralised_and_numbers_are_not(
    manager_api,
):
    for name in ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "Plain"]:
        ProductFactory(name=name, description="\tTabbed")
    product = Product.objects.get(name="Plain")
    stock_apply(
        location_id=Location.objects.get(is_default=True).pk,
        changes={product.pk: -3},
        reason="damage",
        note="=cmd|' /C calc'!A0",
    )

    names = {
        row["name"]: row["description"]
        for row in rows_of(manager_api.get(f"{API}products/?format=csv"))
    }
    movements = rows_of(
        manager_api.get(f"{API}stock-movements/?format=csv&product={product.pk}")
    )

    assert names == {
        '\'=HYPERLINK("http://x")': "'\tTabbed",
        "'+1+1": "'\tTabbed",
        "'-2+3": "'\tTabbed",
        "'@SUM(A1)": "'\tTabbed",
        "Plain": "'\tTabbed",
    }
    damaged = next(row for row in movements if row["reason"] == "damage")
    assert damaged["quantity"] == "-3"  # a number stays a number
    assert damaged["note"] == "'=cmd|' /C calc'!A0"


def test_orders_as_csv_are_one_row_per_line_with_the_orders_fields(manager_api):
    client = ClientFactory()
    hammer = ProductFactory(name="Hammer", unit_price=Decimal("19.99"))
    nails = ProductFactory(name="Nails", unit_price=Decimal("0.15"))
    order = OrderFactory(
        client=client,
        lines=[(hammer, 2), (nails, 7)],
        notes="@front desk",
    )
    empty = OrderFactory(client=client)

    rows = rows_of(manager_api.get(f"{API}orders/?format=csv&ordering=created_at"))

    assert [(r["id"], r["line_product_name"]) for r in rows] == [
        (str(order.pk), "Hammer"),
        (str(order.pk), "Nails"),
        (str(empty.pk), ""),
    ]
    first, second, third = rows
    assert first["total_amount"] == second["total_amount"] == "41.03"
    assert (first["line_quantity"], first["line_unit_price"]) == ("2", "19.99")
    assert (first["line_line_total"], first["line_net_amount"]) == ("39.98", "39.98")
    assert (second["line_net_amount"], second["line_taxes"]) == ("1.05", "[]")
    assert first["notes"] == "'@front desk"
    assert first["discount_kind"] == ""
    assert third["line_id"] == "" and third["status"] == "draft"


def test_orders_as_csv_take_the_lists_filters(manager_api):
    product = ProductFactory(stock=10)
    confirmed = OrderFactory(lines=[(product, 1)])
    order_transition(order_id=confirmed.pk, action="confirm")
    OrderFactory(lines=[(product, 1)])

    rows = rows_of(manager_api.get(f"{API}orders/?format=csv&status=confirmed"))

    assert [row["id"] for row in rows] == [str(confirmed.pk)]
    assert rows[0]["status"] == "confirmed"


def test_a_scoped_clerk_exports_only_the_orders_levels_and_movements_it_sees(
    as_role,
):
    main = Location.objects.get(is_default=True)
    north = LocationFactory(code="NORTH")
    product = ProductFactory(stock=10)
    stock_apply(location_id=north.pk, changes={product.pk: 4}, reason="restock")
    OrderFactory(location=main, lines=[(product, 1)])
    at_north = OrderFactory(location=north, lines=[(product, 1)])
    api = as_role("clerk")
    employee = EmployeeFactory(user=api.user)
    employee.locations.set([north])
    Employee.objects.filter(pk=employee.pk).update(home_location=None)

    orders = rows_of(api.get(f"{API}orders/?format=csv"))
    levels = rows_of(api.get(f"{API}stock-levels/?format=csv"))
    movements = rows_of(api.get(f"{API}stock-movements/?format=csv"))

    assert [row["id"] for row in orders] == [str(at_north.pk)]
    assert {row["location"] for row in levels} == {str(north.pk)}
    assert {row["location"] for row in movements} == {str(north.pk)}
    assert len(movements) == StockMovement.objects.filter(location=north).count()


def test_clients_as_csv_carry_their_decrypted_phone_and_address(manager_api):
    ClientFactory(name="Ada", phone="514 555 0199", address="1 Rue, Montréal")

    rows = rows_of(manager_api.get(f"{API}clients/?format=csv"))

    assert [(r["name"], r["phone"], r["address"]) for r in rows] == [
        ("Ada", "514 555 0199", "1 Rue, Montréal")
    ]


def test_stock_levels_as_csv_are_every_level(manager_api):
    north = LocationFactory(code="NORTH")
    product = ProductFactory(name="Rope", stock=7)
    stock_apply(location_id=north.pk, changes={product.pk: 2}, reason="restock")

    rows = rows_of(manager_api.get(f"{API}stock-levels/?format=csv"))

    assert sorted((r["product_name"], r["on_hand"]) for r in rows) == [
        ("Rope", "2"),
        ("Rope", "7"),
    ]


def test_a_large_export_is_streamed_in_blocks(manager_api):
    products = [ProductFactory(stock=1) for _ in range(30)]
    location = Location.objects.get(is_default=True).pk
    for _ in range(20):
        stock_apply(
            location_id=location,
            changes={product.pk: 1 for product in products},
            reason="restock",
        )

    response = manager_api.get(f"{API}stock-movements/?format=csv")

    assert response.streaming
    blocks = list(response.streaming_content)
    # The header, then blocks of rows: the body is never one string.
    assert len(blocks) >= 3
    assert sum(block.count(b"\n") for block in blocks) == 1 + 30 * 21
