"""``GET /api/v1/reports/sales/`` through the API, to the cent, as exact strings."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.services import RateSpec, tax_class_create
from inventory.models import Location
from reports.selectors import store_today
from sales import money
from sales.models import Order
from sales.services import order_transition
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
URL = "/api/v1/reports/sales/"
TORONTO = ZoneInfo("America/Toronto")
ZERO = {"orders": 0, "units": 0, "net_sales": "0.00", "tax": "0.00"}


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TORONTO)


def sold(lines, *, at: datetime.datetime, then=(), **order) -> Order:
    """An order confirmed (then maybe moved on) with its confirmation at ``at``."""
    draft = OrderFactory(lines=lines, **order)
    order_transition(order_id=draft.pk, action="confirm")
    for action in then:
        order_transition(order_id=draft.pk, action=action)
    Order.objects.filter(pk=draft.pk).update(confirmed_at=at)
    return Order.objects.get(pk=draft.pk)


@pytest.fixture
def shop():
    """Two orders in Quebec's two rates with awkward cents, one with a discount,
    and orders that must not count: a cancelled one, a draft."""
    quebec = tax_class_create(
        name="Quebec",
        rates=[
            RateSpec(name="GST", rate=Decimal("0.05")),
            RateSpec(name="QST", rate=Decimal("0.09975")),
        ],
    )
    tools, hardware = CategoryFactory(name="Tools"), CategoryFactory(name="Hardware")
    hammer = ProductFactory(
        name="Hammer",
        unit_price=Decimal("19.99"),
        tax_class=quebec,
        category=tools,
        stock=100,
    )
    nails = ProductFactory(
        name="Nails", unit_price=Decimal("0.15"), category=hardware, stock=100
    )
    alice = EmployeeFactory(name="Alice")
    first = sold(
        [(hammer, 2), (nails, 7)], at=local(2026, 11, 10, 12, 0), employee=alice
    )
    second = sold(
        [(hammer, 1), (nails, 3)],
        at=local(2026, 11, 12, 9, 30),
        then=("ship", "deliver"),
        discount=money.Discount(kind="amount", value=Decimal("5.00")),
    )
    sold([(hammer, 5)], at=local(2026, 11, 11, 10, 0), then=("cancel",))
    OrderFactory(lines=[(hammer, 9)])  # a draft
    return {
        "hammer": hammer,
        "nails": nails,
        "tools": tools,
        "hardware": hardware,
        "alice": alice,
        "first": first,
        "second": second,
    }


def report(api, **query):
    response = api.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def test_the_orders_are_what_the_report_adds_up(shop):
    # The two orders' own amounts, as the order API wrote them.
    assert (shop["first"].subtotal, shop["first"].tax_total) == (
        Decimal("41.03"),
        Decimal("5.99"),
    )
    assert (shop["second"].subtotal, shop["second"].discount_total) == (
        Decimal("20.44"),
        Decimal("5.00"),
    )
    assert shop["second"].tax_total == Decimal("2.27")


def test_sales_by_day_fill_every_day_and_count_only_sold_orders(manager_api, shop):
    body = report(manager_api, **NOVEMBER, group_by="day")

    assert body["currency"] == "CAD"
    assert (body["date_from"], body["date_to"], body["group_by"]) == (
        "2026-11-01",
        "2026-11-30",
        "day",
    )
    assert len(body["rows"]) == 30
    assert [row["key"] for row in body["rows"]][:3] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    by_day = {row["key"]: row for row in body["rows"]}
    # 2 hammers (39.98, GST 2.00 + QST 3.99) and 7 nails (1.05, untaxed).
    assert by_day["2026-11-10"] == {
        "key": "2026-11-10",
        "label": "",
        "orders": 1,
        "units": 9,
        "net_sales": "41.03",
        "tax": "5.99",
        "refunds": "0.00",
        "total": "47.02",
    }
    # 20.44 less 5.00 spread as 4.89 and 0.11: nets 15.10 (GST 0.755 -> 0.76,
    # QST 1.506225 -> 1.51) and 0.34.
    assert by_day["2026-11-12"] == {
        "key": "2026-11-12",
        "label": "",
        "orders": 1,
        "units": 4,
        "net_sales": "15.44",
        "tax": "2.27",
        "refunds": "0.00",
        "total": "17.71",
    }
    # The cancelled order of the 11th is no sale; a quiet day is all zeros.
    assert by_day["2026-11-11"] == {
        "key": "2026-11-11",
        "label": "",
        **ZERO,
        "refunds": "0.00",
        "total": "0.00",
    }
    assert body["totals"] == {
        "orders": 2,
        "units": 13,
        "net_sales": "56.47",
        "tax": "8.26",
        "refunds": "0.00",
        "total": "64.73",
    }


def test_a_sale_counts_on_the_stores_local_date_at_midnight(manager_api, shop):
    nails = shop["nails"]
    # 23:59:59 in Toronto is 04:59:59 UTC the next day; midnight is 05:00 UTC.
    sold(
        [(nails, 1)], at=datetime.datetime(2026, 11, 20, 4, 59, 59, tzinfo=datetime.UTC)
    )
    sold([(nails, 2)], at=datetime.datetime(2026, 11, 20, 5, 0, 0, tzinfo=datetime.UTC))

    by_day = {
        row["key"]: row["units"]
        for row in report(manager_api, **NOVEMBER, group_by="day")["rows"]
    }
    one_day = report(manager_api, date_from="2026-11-20", date_to="2026-11-20")

    assert (by_day["2026-11-19"], by_day["2026-11-20"]) == (1, 2)
    assert [row["units"] for row in one_day["rows"]] == [2]
    assert one_day["totals"]["units"] == 2


def test_local_days_follow_daylight_saving_time(manager_api, shop):
    nails = shop["nails"]
    # 8 March 2026: clocks go forward; that evening Toronto is UTC-4.
    sold([(nails, 1)], at=datetime.datetime(2026, 3, 9, 3, 30, tzinfo=datetime.UTC))
    sold([(nails, 2)], at=datetime.datetime(2026, 3, 8, 4, 30, tzinfo=datetime.UTC))

    rows = report(manager_api, date_from="2026-03-07", date_to="2026-03-09")["rows"]

    assert [(row["key"], row["units"]) for row in rows] == [
        ("2026-03-07", 2),
        ("2026-03-08", 1),
        ("2026-03-09", 0),
    ]


def test_sales_by_week_are_keyed_by_their_monday(manager_api, shop):
    body = report(manager_api, **NOVEMBER, group_by="week")

    assert [row["key"] for row in body["rows"]] == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    week = body["rows"][2]
    assert (week["orders"], week["net_sales"], week["total"]) == (2, "56.47", "64.73")


def test_sales_by_month_are_keyed_year_month_zeros_included(manager_api, shop):
    body = report(
        manager_api, date_from="2026-09-15", date_to="2026-12-01", group_by="month"
    )

    assert [(row["key"], row["total"]) for row in body["rows"]] == [
        ("2026-09", "0.00"),
        ("2026-10", "0.00"),
        ("2026-11", "64.73"),
        ("2026-12", "0.00"),
    ]


def test_sales_by_product_count_each_order_a_product_is_in(manager_api, shop):
    body = report(manager_api, **NOVEMBER, group_by="product")

    assert body["rows"] == [
        {
            "key": shop["hammer"].pk,
            "label": "Hammer",
            "orders": 2,
            "units": 3,
            "net_sales": "55.08",
            "tax": "8.26",
            "refunds": "0.00",
            "total": "63.34",
        },
        {
            "key": shop["nails"].pk,
            "label": "Nails",
            "orders": 2,
            "units": 10,
            "net_sales": "1.39",
            "tax": "0.00",
            "refunds": "0.00",
            "total": "1.39",
        },
    ]
    # Two orders in all, not one per product line.
    assert body["totals"]["orders"] == 2
    assert body["totals"]["total"] == "64.73"


def test_the_limit_keeps_the_largest_groups_and_the_totals_cover_every_group(
    manager_api, shop
):
    body = report(manager_api, **NOVEMBER, group_by="category", limit=1)

    assert [(row["key"], row["label"], row["total"]) for row in body["rows"]] == [
        (shop["tools"].pk, "Tools", "63.34")
    ]
    assert body["totals"] == {
        "orders": 2,
        "units": 13,
        "net_sales": "56.47",
        "tax": "8.26",
        "refunds": "0.00",
        "total": "64.73",
    }


def test_sales_by_employee_client_and_location(manager_api, shop):
    by_employee = report(manager_api, **NOVEMBER, group_by="employee")["rows"]
    by_client = report(manager_api, **NOVEMBER, group_by="client")["rows"]
    by_location = report(manager_api, **NOVEMBER, group_by="location")["rows"]

    # The order sold by no one is a group of its own, without a key.
    assert [(r["key"], r["label"], r["total"]) for r in by_employee] == [
        (shop["alice"].pk, "Alice", "47.02"),
        (None, "", "17.71"),
    ]
    assert [(r["key"], r["total"]) for r in by_client] == [
        (shop["first"].client_id, "47.02"),
        (shop["second"].client_id, "17.71"),
    ]
    main = Location.objects.get(is_default=True)
    assert [(r["key"], r["label"], r["orders"]) for r in by_location] == [
        (main.pk, main.name, 2)
    ]


def test_a_location_filter_counts_that_locations_orders_only(manager_api, shop):
    from inventory.services import stock_apply

    north = LocationFactory(code="NORTH", name="North")
    stock_apply(location_id=north.pk, changes={shop["nails"].pk: 10}, reason="restock")
    sold([(shop["nails"], 4)], at=local(2026, 11, 10, 15, 0), location=north)

    at_north = report(manager_api, **NOVEMBER, location=north.pk)
    everywhere = report(manager_api, **NOVEMBER)

    assert at_north["totals"] == {
        "orders": 1,
        "units": 4,
        "net_sales": "0.60",
        "tax": "0.00",
        "refunds": "0.00",
        "total": "0.60",
    }
    assert everywhere["totals"]["total"] == "65.33"


def test_the_default_range_is_the_last_30_days_today_included(manager_api, shop):
    today = store_today()
    sold([(shop["nails"], 1)], at=datetime.datetime.now(datetime.UTC))

    body = report(manager_api)

    assert body["date_to"] == today.isoformat()
    assert body["date_from"] == (today - datetime.timedelta(days=29)).isoformat()
    assert len(body["rows"]) == 30
    assert body["rows"][-1]["units"] == 1
    only_from = report(manager_api, date_from=today.isoformat())
    assert [row["key"] for row in only_from["rows"]] == [today.isoformat()]


def test_the_report_is_one_statement(manager_api, shop):
    # The first report of these days by period keeps them: the report, the
    # lock, the keeping (inside the test's transaction, a savepoint too).
    with CaptureQueriesContext(connection) as queries:
        report(manager_api, **NOVEMBER, group_by="week")
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 4, statements  # the token first
    for group_by in ("day", "month", "product", "category", "employee"):
        with CaptureQueriesContext(connection) as queries:
            report(manager_api, **NOVEMBER, group_by=group_by)
        # The token with its user and permissions, then the report.
        assert len(queries) == 2, [q["sql"][:80] for q in queries]


def test_a_year_is_the_longest_range(manager_api, shop):
    leap = report(manager_api, date_from="2024-01-01", date_to="2024-12-31")
    assert len(leap["rows"]) == 366
    common = report(manager_api, date_from="2025-01-01", date_to="2026-01-01")
    assert len(common["rows"]) == 366

    too_long = manager_api.get(
        URL, {"date_from": "2025-01-01", "date_to": "2026-01-02"}
    )

    assert_error(too_long, 400, code="range_too_long", attr="date_to")


@pytest.mark.parametrize(
    "query, attr",
    [
        ({"date_from": "2026-11-31"}, "date_from"),
        ({"date_from": "2026-1-5"}, "date_from"),
        ({"date_to": "20261130"}, "date_to"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "date_from"),
        ({"date_from": "2999-01-01"}, "date_from"),  # after today, the default end
        ({"group_by": "year"}, "group_by"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"location": "0"}, "location"),
        ({"location": "987654"}, "location"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_input_is_a_400(manager_api, query, attr):
    assert_error(manager_api.get(URL, query), 400, attr=attr)


def test_the_default_start_stops_at_the_first_day_there_is(manager_api):
    body = report(manager_api, date_to="0001-01-05")

    assert (body["date_from"], len(body["rows"])) == ("0001-01-01", 5)


def test_the_limits_own_bounds_are_accepted(manager_api, shop):
    assert (
        len(report(manager_api, **NOVEMBER, group_by="product", limit=1)["rows"]) == 1
    )
    assert (
        len(report(manager_api, **NOVEMBER, group_by="product", limit=1000)["rows"])
        == 2
    )


@pytest.mark.parametrize("roles", [("clerk",), ("warehouse",), ()])
def test_only_managers_read_the_reports(as_role, roles):
    api = as_role(*roles)
    for url in (URL, "/api/v1/reports/inventory/"):
        assert_error(api.get(url), 403, code="permission_denied")
        assert_error(api.get(url, {"format": "csv"}), 403, code="permission_denied")
        assert_error(APIClient().get(url), 401, code="not_authenticated")


def test_the_sales_report_as_csv_has_the_rows_of_the_json(manager_api, shop):
    response = manager_api.get(
        URL,
        {**NOVEMBER, "group_by": "product", "format": "csv"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="sales-by-product-2026-11-01-2026-11-30.csv"'
    )
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["key", "label", "orders", "units", "net_sales", "tax", "refunds", "total"],
        [str(shop["hammer"].pk), "Hammer", "2", "3", "55.08", "8.26", "0.00", "63.34"],
        [str(shop["nails"].pk), "Nails", "2", "10", "1.39", "0.00", "0.00", "1.39"],
    ]


def test_a_bad_query_as_csv_is_a_json_400(manager_api):
    response = manager_api.get(URL, {"group_by": "year", "format": "csv"})

    assert_error(response, 400, attr="group_by")


def test_labels_that_look_like_formulas_are_neutralised_in_the_csv(manager_api):
    product = ProductFactory(name="=2+5", unit_price=Decimal("1.00"), stock=5)
    sold([(product, 1)], at=datetime.datetime.now(datetime.UTC))

    response = manager_api.get(URL, {"group_by": "product", "format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'=2+5"


def test_an_anonymized_clients_sales_keep_their_amounts(manager_api, shop):
    from customers.services import client_anonymize

    client = ClientFactory()
    order = sold(
        [(shop["nails"], 2)],
        at=local(2026, 11, 3, 10, 0),
        then=("ship", "deliver"),
        client=client,
    )
    client_anonymize(client_id=client.pk)

    rows = report(manager_api, **NOVEMBER, group_by="client")["rows"]

    mine = next(row for row in rows if row["key"] == order.client_id)
    assert (mine["label"], mine["total"]) == ("Anonymized client", "0.30")
