"""Returns in the admin: recorded from the order's page, through return_create."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sales.models import Order, Return
from sales.services import order_transition
from staff.services import employee_create
from tests.admin.conftest import messages_of
from tests.factories import LocationFactory, OrderFactory, ProductFactory
from tests.helpers import assert_ledger_exact, stock_of

pytestmark = pytest.mark.django_db


def _order(lines, status="delivered", **fields):
    order = OrderFactory(lines=lines, **fields)
    steps = {"confirmed": 1, "shipped": 2, "delivered": 3}[status]
    for action in ("confirm", "ship", "deliver")[:steps]:
        order_transition(order_id=order.pk, action=action)
    return Order.objects.get(pk=order.pk)


def return_url(order) -> str:
    return reverse("admin:sales_order_return", args=[order.pk])


def change_url(order) -> str:
    return reverse("admin:sales_order_change", args=[order.pk])


def _form(order, rows=None):
    """``rows``: product id -> (quantity, restock, reason)."""
    rows = rows or {}
    data = {"note": ""}
    for line in order.lines.all():
        quantity, restock, reason = rows.get(line.product_id, (0, True, "unwanted"))
        data[f"line_{line.product_id}_quantity"] = quantity
        if restock:
            data[f"line_{line.product_id}_restock"] = "on"
        data[f"line_{line.product_id}_reason"] = reason
    return data


def test_a_delivered_orders_page_offers_the_return_button_to_a_clerk(clerk):
    order = _order([(ProductFactory(), 2)])

    page = clerk.get(change_url(order))

    assert page.status_code == 200
    assert return_url(order) in page.content.decode()


def test_no_return_button_before_shipping_nor_for_the_warehouse(clerk, warehouse):
    confirmed = _order([(ProductFactory(), 2)], status="confirmed")
    delivered = _order([(ProductFactory(), 2)])

    assert (
        return_url(confirmed) not in clerk.get(change_url(confirmed)).content.decode()
    )
    page = warehouse.get(change_url(delivered)).content.decode()
    assert return_url(delivered) not in page
    assert warehouse.get(return_url(delivered)).status_code == 403


def test_the_form_shows_what_each_line_can_still_return(clerk):
    mug = ProductFactory()
    order = _order([(mug, 3)])
    clerk.post(return_url(order), _form(order, {mug.pk: (1, True, "other")}))

    page = clerk.get(return_url(order)).content.decode()

    assert 'class="remaining">2<' in page


def test_recording_a_partial_return_from_the_admin(clerk):
    mug, cup = ProductFactory(unit_price=Decimal("4.00")), ProductFactory()
    order = _order([(mug, 3), (cup, 1)])
    rows = {mug.pk: (2, True, "defective"), cup.pk: (1, False, "damaged")}

    response = clerk.post(return_url(order), _form(order, rows), follow=True)

    ret = Return.objects.get()
    assert f"Return #{ret.pk} of order #{order.pk} recorded: refund 18.00." in (
        messages_of(response)
    )
    assert ret.created_by == clerk.user
    assert stock_of(mug) == 10 - 3 + 2
    assert stock_of(cup) == 10 - 1
    assert_ledger_exact()
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("18.00")
    page = clerk.get(change_url(order)).content.decode()
    assert reverse("admin:sales_return_change", args=[ret.pk]) in page
    assert "2 x " in page and "written off" in page


def test_a_refused_return_shows_the_form_again_and_writes_nothing(clerk):
    mug = ProductFactory()
    order = _order([(mug, 2)])

    nothing = clerk.post(return_url(order), _form(order))
    too_many = clerk.post(return_url(order), _form(order, {mug.pk: (3, True, "other")}))

    assert nothing.status_code == too_many.status_code == 200
    assert "at least one line" in nothing.content.decode()
    assert "errornote" in too_many.content.decode()
    assert not Return.objects.exists()


def test_the_returns_list_is_read_only_and_scoped(admin_as):
    north, south = LocationFactory(), LocationFactory()
    mug = ProductFactory(stock=0)
    from inventory.services import stock_apply
    from sales.returns import ReturnLineSpec, return_create

    made = []
    for location in (north, south):
        stock_apply(location_id=location.pk, changes={mug.pk: 5}, reason="restock")
        order = _order([(mug, 2)], location=location)
        made.append(
            return_create(
                order_id=order.pk, lines=[ReturnLineSpec(mug.pk, 1, True, "other")]
            )
        )
    clerk = admin_as("clerk")
    employee_create(name="Clerk", position="Sales", user=clerk.user).locations.set(
        [north]
    )

    listed = clerk.get(reverse("admin:sales_return_changelist"))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [made[0]]
    assert clerk.get(reverse("admin:sales_return_add")).status_code == 403
    own = clerk.get(reverse("admin:sales_return_change", args=[made[0].pk]))
    assert own.status_code == 200
    other = clerk.get(reverse("admin:sales_return_change", args=[made[1].pk]))
    assert other.status_code == 302
