"""The closed days a report by period keeps (``SalesDay``), and how the
database forgets one when a sale or return of it changes."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.services import stock_apply
from reports.models import SalesDay
from reports.selectors import store_today
from sales.models import Order, Return
from sales.returns import ReturnLineSpec, return_create
from sales.services import order_transition
from tests.factories import LocationFactory, OrderFactory, ProductFactory
from tests.helpers import other_session, run_concurrently, wait_for_a_lock_wait

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/sales/"
TORONTO = ZoneInfo("America/Toronto")


def days_ago(days: int, hour: int = 12) -> datetime.datetime:
    day = store_today() - datetime.timedelta(days=days)
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=TORONTO)


def sold(lines, *, at, then=(), **order) -> Order:
    draft = OrderFactory(lines=lines, **order)
    for action in ("confirm", *then):
        order_transition(order_id=draft.pk, action=action)
    Order.objects.filter(pk=draft.pk).update(confirmed_at=at)
    return Order.objects.get(pk=draft.pk)


def by_day(api, days=20, **query) -> dict[str, dict]:
    today = store_today()
    response = api.get(
        URL,
        {
            "group_by": "day",
            "date_from": (today - datetime.timedelta(days=days - 1)).isoformat(),
            "date_to": today.isoformat(),
            **query,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    rows = {row["key"]: row for row in body["rows"]}
    return rows | {"totals": body["totals"]}


def key(moment: datetime.datetime) -> str:
    return moment.date().isoformat()


@pytest.fixture
def shop():
    north = LocationFactory(code="NORTH")
    hammer = ProductFactory(unit_price=Decimal("19.99"), stock=100)
    stock_apply(location_id=north.pk, changes={hammer.pk: 50}, reason="restock")
    return {
        "north": north,
        "hammer": hammer,
        "main_sale": sold([(hammer, 2)], at=days_ago(10)),
        "north_sale": sold([(hammer, 3)], at=days_ago(10, 15), location=north),
        "shipped": sold([(hammer, 1)], at=days_ago(12), then=("ship",)),
    }


def test_the_closed_days_are_kept_and_read_back_the_same(manager_api, shop):
    first = by_day(manager_api)

    # Every day of the range that ended a day ago is kept, once, for the
    # whole store and per location that sold; today and yesterday are not.
    kept = SalesDay.objects.filter(location_id=None)
    today = store_today()
    assert sorted(day.day for day in kept) == [
        today - datetime.timedelta(days=n) for n in range(19, 1, -1)
    ]
    ten = SalesDay.objects.filter(day=days_ago(10).date())
    assert {(row.location_id, row.orders, row.units) for row in ten} == {
        (None, 2, 5),
        (shop["main_sale"].location_id, 1, 2),
        (shop["north"].pk, 1, 3),
    }
    assert first[key(days_ago(10))]["net_sales"] == "99.95"
    assert first[key(days_ago(12))]["units"] == 1

    # Read back from the kept days: the same answer, in one statement.
    with CaptureQueriesContext(connection) as queries:
        again = by_day(manager_api)
    assert again == first
    assert len(queries) == 2  # the token, the report


def test_a_location_reads_its_own_share_of_a_kept_day(manager_api, shop):
    by_day(manager_api)

    north = by_day(manager_api, location=shop["north"].pk)

    assert north[key(days_ago(10))]["units"] == 3
    assert north[key(days_ago(12))]["units"] == 0
    assert north["totals"]["orders"] == 1


def test_cancelling_a_sale_of_a_kept_day_forgets_the_day(manager_api, shop):
    before = by_day(manager_api)
    assert before[key(days_ago(10))]["orders"] == 2

    order_transition(order_id=shop["main_sale"].pk, action="cancel")

    assert not SalesDay.objects.filter(day=days_ago(10).date()).exists()
    assert SalesDay.objects.filter(day=days_ago(12).date()).exists()
    after = by_day(manager_api)
    assert after[key(days_ago(10))]["orders"] == 1
    assert after[key(days_ago(10))]["units"] == 3
    assert after["totals"]["units"] == before["totals"]["units"] - 2
    # Kept again, as it is now.
    assert SalesDay.objects.get(day=days_ago(10).date(), location_id=None).units == 3


def test_moving_a_sale_to_another_day_forgets_both_days(manager_api, shop):
    by_day(manager_api)

    Order.objects.filter(pk=shop["shipped"].pk).update(confirmed_at=days_ago(5))

    kept = set(SalesDay.objects.filter(location_id=None).values_list("day", flat=True))
    assert days_ago(12).date() not in kept
    assert days_ago(5).date() not in kept
    rows = by_day(manager_api)
    assert (rows[key(days_ago(12))]["units"], rows[key(days_ago(5))]["units"]) == (0, 1)


def test_a_return_stamped_on_a_kept_day_forgets_it(manager_api, shop):
    by_day(manager_api)
    made = return_create(
        order_id=shop["shipped"].pk,
        lines=[ReturnLineSpec(shop["hammer"].pk, 1, restock=True, reason="unwanted")],
    )
    # Made now: no kept day is touched.
    assert SalesDay.objects.filter(day=days_ago(8).date()).exists()

    Return.objects.filter(pk=made.pk).update(created_at=days_ago(8))

    assert not SalesDay.objects.filter(day=days_ago(8).date()).exists()
    assert by_day(manager_api)[key(days_ago(8))]["refunds"] == "19.99"


def test_sales_made_now_leave_the_kept_days_alone(manager_api, shop):
    by_day(manager_api)
    kept = list(SalesDay.objects.order_by("id").values())

    order = OrderFactory(lines=[(shop["hammer"], 4)])
    order_transition(order_id=order.pk, action="confirm")
    order_transition(order_id=order.pk, action="ship")
    return_create(
        order_id=order.pk,
        lines=[ReturnLineSpec(shop["hammer"].pk, 1, restock=True, reason="unwanted")],
    )

    assert list(SalesDay.objects.order_by("id").values()) == kept
    assert by_day(manager_api)[store_today().isoformat()]["units"] == 4


@pytest.mark.django_db(transaction=True)
def test_keeping_days_waits_for_a_change_not_yet_committed(manager_api, shop):
    # Another transaction cancels a sale of a day no report kept yet and has
    # not committed: the report that keeps the day waits for it, then keeps
    # the day as it is after the cancellation, not as the report read it.
    order = shop["main_sale"]
    with other_session() as canceller:
        canceller.execute(
            "UPDATE sales_order SET status = 'cancelled', cancelled_at = now() "
            "WHERE id = %s",
            [order.pk],
        )

        def commit_once_the_report_waits():
            wait_for_a_lock_wait(canceller)
            canceller.commit()

        reported, _ = run_concurrently(
            [lambda: by_day(manager_api), commit_once_the_report_waits]
        )

    # The report's own statement ran before the commit.
    assert reported[key(days_ago(10))]["orders"] == 2
    kept = SalesDay.objects.get(day=days_ago(10).date(), location_id=None)
    assert (kept.orders, kept.units) == (1, 3)
    assert by_day(manager_api)[key(days_ago(10))]["orders"] == 1
