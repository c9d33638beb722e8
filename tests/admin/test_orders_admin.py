"""Orders in the admin: written by the sales services, moved by the state machine."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from sales.models import Order, OrderStatus
from sales.services import order_transition
from tests.admin.conftest import messages_of
from tests.factories import ClientFactory, OrderFactory, ProductFactory
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:sales_order_add")
CHANGELIST_URL = reverse("admin:sales_order_changelist")


def change_url(order) -> str:
    return reverse("admin:sales_order_change", args=[order.pk])


def transition_url(order, action: str) -> str:
    return reverse("admin:sales_order_transition", args=[order.pk, action])


def order_form(*, client, lines, order=None, notes="", employee=None, **extra) -> dict:
    """The POST body of the order page: header fields and the lines inline.

    ``lines`` are ``(product, quantity)``; for an existing order, its current
    lines come first (pass ``None`` as a quantity to delete one).
    """
    existing = list(order.lines.all()) if order is not None else []
    data = {
        "client": client.pk,
        "employee": employee.pk if employee else "",
        "notes": notes,
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(existing),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
        "history-TOTAL_FORMS": 0,
        "history-INITIAL_FORMS": 0,
        "history-MIN_NUM_FORMS": 0,
        "history-MAX_NUM_FORMS": 1000,
        **extra,
    }
    for index, (product, quantity) in enumerate(lines):
        prefix = f"lines-{index}"
        data[f"{prefix}-product"] = product.pk
        data[f"{prefix}-quantity"] = quantity if quantity is not None else 1
        data[f"{prefix}-order"] = order.pk if order is not None else ""
        data[f"{prefix}-id"] = existing[index].pk if index < len(existing) else ""
        if quantity is None:
            data[f"{prefix}-DELETE"] = "on"
    return data


def test_clerk_creates_an_order_whose_lines_take_the_current_prices(clerk):
    client = ClientFactory()
    pen = ProductFactory(unit_price=Decimal("12.50"))
    ink = ProductFactory(unit_price=Decimal("3.00"))

    response = clerk.post(
        ADD_URL, order_form(client=client, lines=[(pen, 2), (ink, 3)], notes="Rush")
    )

    assert response.status_code == 302, response.context and response.context.get(
        "errors"
    )
    order = Order.objects.get()
    assert order.status == OrderStatus.DRAFT
    assert order.notes == "Rush"
    assert order.total_amount == Decimal("34.00")
    assert sorted(
        (line.product_id, line.quantity, line.unit_price) for line in order.lines.all()
    ) == sorted([(pen.pk, 2, Decimal("12.50")), (ink.pk, 3, Decimal("3.00"))])


def test_the_order_form_defaults_to_the_users_employee(admin_as):
    from tests.factories import EmployeeFactory

    clerk = admin_as("clerk")
    employee = EmployeeFactory(user=clerk.user)

    response = clerk.get(ADD_URL)

    assert response.context["adminform"].form.initial["employee"] == employee.pk


def test_an_inactive_product_is_refused_on_the_form_and_nothing_is_written(clerk):
    client = ClientFactory()
    retired = ProductFactory(is_active=False, name="Retired pen")

    response = clerk.post(ADD_URL, order_form(client=client, lines=[(retired, 1)]))

    assert response.status_code == 200
    assert "Retired pen" in response.content.decode()
    assert "is not for sale" in response.content.decode()
    assert not Order.objects.exists()


def test_the_same_product_twice_is_refused_on_the_form(clerk):
    client = ClientFactory()
    pen = ProductFactory()

    response = clerk.post(
        ADD_URL, order_form(client=client, lines=[(pen, 1), (pen, 2)])
    )

    assert response.status_code == 200
    assert response.context["errors"]
    assert not Order.objects.exists()


def test_a_zero_quantity_is_refused_on_the_form(clerk):
    response = clerk.post(
        ADD_URL, order_form(client=ClientFactory(), lines=[(ProductFactory(), 0)])
    )

    assert response.status_code == 200
    assert not Order.objects.exists()


def test_editing_a_draft_replaces_its_lines_and_recomputes_the_total(clerk):
    pen = ProductFactory(unit_price=Decimal("2.00"))
    ink = ProductFactory(unit_price=Decimal("5.00"))
    order = OrderFactory(lines=[(pen, 1), (ink, 1)])

    response = clerk.post(
        change_url(order),
        order_form(client=order.client, order=order, lines=[(pen, 4), (ink, None)]),
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [
        (pen.pk, 4)
    ]
    assert order.total_amount == Decimal("8.00")


def test_saving_a_draft_without_touching_lines_keeps_their_prices(clerk):
    pen = ProductFactory(unit_price=Decimal("2.00"))
    order = OrderFactory(lines=[(pen, 1)])
    pen.unit_price = Decimal("9.00")
    pen.save()

    response = clerk.post(
        change_url(order),
        order_form(client=order.client, order=order, lines=[(pen, 1)], notes="n"),
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.notes == "n"
    assert order.lines.get().unit_price == Decimal("2.00")


def test_a_confirmed_order_is_read_only_in_the_admin(clerk):
    pen = ProductFactory()
    order = order_transition(
        order_id=OrderFactory(lines=[(pen, 1)]).pk, action="confirm"
    )

    page = clerk.get(change_url(order))
    post = clerk.post(
        change_url(order),
        order_form(client=order.client, order=order, lines=[(pen, 5)]),
    )

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert "lines-0-quantity" not in page.content.decode()
    assert post.status_code == 403
    assert order.lines.get().quantity == 1


def test_confirm_button_takes_the_stock_and_writes_the_history(clerk):
    pen = ProductFactory(stock=10)
    ink = ProductFactory(stock=5)
    order = OrderFactory(lines=[(pen, 3), (ink, 5)])

    response = clerk.post(transition_url(order, "confirm"), follow=True)

    order.refresh_from_db()
    pen.refresh_from_db()
    ink.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert (stock_of(pen), stock_of(ink)) == (7, 0)
    change = order.history.get()
    assert (change.from_status, change.to_status) == ("draft", "confirmed")
    assert change.changed_by == clerk.user
    assert f"Order #{order.pk} confirmed." in messages_of(response)


def test_confirming_with_too_little_stock_shows_the_refusal_and_changes_nothing(clerk):
    pen = ProductFactory(stock=10, name="Pen")
    ink = ProductFactory(stock=1, name="Ink")
    order = OrderFactory(lines=[(pen, 3), (ink, 5)])
    movements = StockMovement.objects.count()

    response = clerk.post(transition_url(order, "confirm"), follow=True)

    order.refresh_from_db()
    pen.refresh_from_db()
    ink.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert (stock_of(pen), stock_of(ink)) == (10, 1)
    assert StockMovement.objects.count() == movements
    assert not order.history.exists()
    [message] = messages_of(response)
    assert "Insufficient stock for product 'Ink'" in message
    assert "5 requested, 1 available" in message


def test_an_illegal_transition_is_reported(warehouse):
    order = OrderFactory(lines=[(ProductFactory(), 1)])

    response = warehouse.post(transition_url(order, "ship"), follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert any("Cannot ship" in m for m in messages_of(response))


def test_confirming_an_empty_order_is_reported(clerk):
    order = OrderFactory()

    response = clerk.post(transition_url(order, "confirm"), follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert any("has no lines" in m for m in messages_of(response))


def test_transition_buttons_need_the_roles_permission(clerk, warehouse):
    pen = ProductFactory()
    order = OrderFactory(lines=[(pen, 1)])

    assert warehouse.post(transition_url(order, "confirm")).status_code == 403
    assert clerk.post(transition_url(order, "confirm")).status_code == 302
    assert clerk.post(transition_url(order, "ship")).status_code == 403
    assert warehouse.get(transition_url(order, "ship")).status_code == 405
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_the_order_page_offers_the_transitions_the_role_may_make_now(clerk, warehouse):
    order = OrderFactory(lines=[(ProductFactory(), 1)])

    def buttons(client):
        return [
            t["action"]
            for t in client.get(change_url(order)).context["order_transitions"]
        ]

    assert buttons(clerk) == ["confirm", "cancel"]
    assert buttons(warehouse) == []
    order_transition(order_id=order.pk, action="confirm")
    assert buttons(clerk) == ["cancel"]
    assert buttons(warehouse) == ["ship"]


def test_actions_move_each_order_on_its_own_and_report_each_refusal(clerk):
    plenty = ProductFactory(stock=10)
    scarce = ProductFactory(stock=1, name="Scarce")
    fine = OrderFactory(lines=[(plenty, 2)])
    short = OrderFactory(lines=[(plenty, 1), (scarce, 2)])
    also_fine = OrderFactory(lines=[(plenty, 3)])

    response = clerk.post(
        CHANGELIST_URL,
        {
            "action": "confirm_orders",
            "_selected_action": [fine.pk, short.pk, also_fine.pk],
        },
        follow=True,
    )

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        fine.pk: "confirmed",
        short.pk: "draft",
        also_fine.pk: "confirmed",
    }
    plenty.refresh_from_db()
    scarce.refresh_from_db()
    assert (stock_of(plenty), stock_of(scarce)) == (5, 1)
    messages = messages_of(response)
    assert any(
        m.startswith(f"Order #{short.pk}: Insufficient stock for product 'Scarce'")
        for m in messages
    )
    assert f"2 orders confirmed: #{fine.pk}, #{also_fine.pk}." in messages


def test_ship_and_deliver_actions_for_the_warehouse(warehouse):
    order = order_transition(
        order_id=OrderFactory(lines=[(ProductFactory(), 1)]).pk, action="confirm"
    )

    for action in ("ship_orders", "deliver_orders"):
        warehouse.post(
            CHANGELIST_URL, {"action": action, "_selected_action": [order.pk]}
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert [c.to_status for c in order.history.all()] == [
        "confirmed",
        "shipped",
        "delivered",
    ]


def test_cancel_action_gives_a_confirmed_orders_stock_back(clerk):
    pen = ProductFactory(stock=4)
    order = order_transition(
        order_id=OrderFactory(lines=[(pen, 3)]).pk, action="confirm"
    )

    clerk.post(
        CHANGELIST_URL, {"action": "cancel_orders", "_selected_action": [order.pk]}
    )

    order.refresh_from_db()
    pen.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock_of(pen) == 4


def test_only_drafts_can_be_deleted_and_never_in_bulk(clerk):
    draft = OrderFactory(lines=[(ProductFactory(), 1)])
    confirmed = order_transition(
        order_id=OrderFactory(lines=[(ProductFactory(), 1)]).pk, action="confirm"
    )
    delete = "admin:sales_order_delete"

    refused = clerk.post(reverse(delete, args=[confirmed.pk]), {"post": "yes"})
    accepted = clerk.post(reverse(delete, args=[draft.pk]), {"post": "yes"})
    actions = clerk.get(CHANGELIST_URL).context["action_form"].fields["action"]

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert list(Order.objects.all()) == [confirmed]
    assert "delete_selected" not in dict(actions.choices)


def test_search_finds_an_order_by_its_number(clerk):
    orders = OrderFactory.create_batch(3)

    response = clerk.get(CHANGELIST_URL, {"q": f"#{orders[1].pk}"})

    assert list(response.context["cl"].result_list) == [orders[1]]


def test_search_by_number_keeps_the_list_filters(clerk):
    order = OrderFactory(lines=[(ProductFactory(), 1)])

    response = clerk.get(
        CHANGELIST_URL, {"q": str(order.pk), "status__exact": "confirmed"}
    )

    assert list(response.context["cl"].result_list) == []


def test_each_transition_is_logged_in_the_orders_admin_history(clerk):
    from django.contrib.admin.models import LogEntry

    order = OrderFactory(lines=[(ProductFactory(), 1)])

    clerk.post(transition_url(order, "confirm"))

    entry = LogEntry.objects.get(object_id=str(order.pk))
    assert (entry.user, entry.get_change_message()) == (clerk.user, "Confirmed.")


def test_a_clients_page_links_to_their_orders(clerk):
    order = OrderFactory()
    OrderFactory()

    page = clerk.get(reverse("admin:customers_client_change", args=[order.client_id]))
    listing = clerk.get(CHANGELIST_URL, {"client__id__exact": order.client_id})

    assert f"?client__id__exact={order.client_id}" in page.content.decode()
    assert list(listing.context["cl"].result_list) == [order]


def test_a_refusal_from_the_service_is_shown_on_the_form_not_as_a_500(
    clerk, monkeypatch
):
    from sales import services
    from sales.exceptions import OrderNotEditable

    pen = ProductFactory()
    order = OrderFactory(lines=[(pen, 1)], notes="before")

    def refuse(**kwargs):
        raise OrderNotEditable("Order is being confirmed elsewhere; reload it.")

    monkeypatch.setattr(services, "order_update", refuse)
    response = clerk.post(
        change_url(order),
        order_form(client=order.client, order=order, lines=[(pen, 2)], notes="after"),
    )

    assert response.status_code == 200
    assert "Order is being confirmed elsewhere; reload it." in (
        response.content.decode()
    )
    order.refresh_from_db()
    assert order.notes == "before"


def test_each_transitions_admin_action_takes_its_label_and_permission_from_the_table(
    rf,
):
    from django.contrib import admin
    from django.contrib.auth.models import Permission

    from sales.services import TRANSITIONS
    from tests.factories import UserFactory

    order_admin = admin.site._registry[Order]
    for name, transition in TRANSITIONS.items():
        app_label, codename = transition.permission.split(".")
        user = UserFactory(is_staff=True)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
        request = rf.get(CHANGELIST_URL)
        request.user = user

        action, _, description = order_admin.get_action(f"{name}_orders")

        assert description == f"{transition.label} selected orders"
        assert list(action.allowed_permissions) == [name]
        allowed = {
            n
            for n in TRANSITIONS
            if getattr(order_admin, f"has_{n}_permission")(request)
        }
        assert allowed == {name}


def test_the_order_pages_buttons_are_labelled_from_the_table(clerk):
    from sales.services import TRANSITIONS

    order = OrderFactory(lines=[(ProductFactory(), 1)])

    offered = clerk.get(change_url(order)).context["order_transitions"]

    assert [t["label"] for t in offered] == [
        TRANSITIONS["confirm"].label,
        TRANSITIONS["cancel"].label,
    ]
