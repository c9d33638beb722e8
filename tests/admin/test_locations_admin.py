"""Locations, stock levels and location scoping in the admin."""

import pytest
from django.urls import reverse

from inventory.models import Location, StockLevel, StockMovement
from inventory.services import stock_apply
from sales.models import Order
from tests.admin.conftest import messages_of
from tests.admin.test_orders_admin import order_form
from tests.factories import (
    ClientFactory,
    EmployeeFactory,
    LocationFactory,
    OrderFactory,
    ProductFactory,
)
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db


def scope(client, *locations):
    EmployeeFactory(user=client.user).locations.set(locations)
    return client


@pytest.fixture
def north():
    return LocationFactory(code="NORTH", name="North store")


def test_a_manager_adds_a_location_and_moves_the_default_to_it(manager):
    response = manager.post(
        reverse("admin:inventory_location_add"),
        {
            "code": "depot",
            "name": "Depot",
            "kind": "warehouse",
            "address": "",
            "is_active": "on",
            "is_default": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(Location.objects.filter(is_default=True).values_list("code")) == [
        ("DEPOT",)
    ]


def test_unsetting_the_default_in_the_admin_is_refused_on_the_form(manager):
    main = Location.objects.get(code="MAIN")

    response = manager.post(
        reverse("admin:inventory_location_change", args=[main.pk]),
        {"code": "MAIN", "name": main.name, "kind": "store", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "There is always one default location" in response.content.decode()
    main.refresh_from_db()
    assert main.is_default is True


def test_adjusting_stock_in_the_admin_takes_a_location(warehouse, north):
    product = ProductFactory(stock=5)

    response = warehouse.post(
        reverse("admin:catalog_product_adjust_stock", args=[product.pk]),
        {"quantity": 4, "reason": "restock", "location": north.pk, "note": ""},
        follow=True,
    )

    assert (stock_of(product, north), stock_of(product)) == (4, 9)
    assert any("at NORTH" in m and "now 4 there" in m for m in messages_of(response))
    page = warehouse.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert 'data-location="NORTH"' in page.content.decode()


def test_a_scoped_user_adjusts_stock_only_where_they_work(warehouse, north):
    scope(warehouse, north)
    product = ProductFactory(stock=5)
    url = reverse("admin:catalog_product_adjust_stock", args=[product.pk])
    main = Location.objects.get(code="MAIN")

    form = warehouse.get(url).context["form"]
    refused = warehouse.post(
        url, {"quantity": 1, "reason": "restock", "location": main.pk}
    )

    assert list(form.fields["location"].queryset) == [north]
    assert refused.status_code == 200
    assert "location" in refused.context["form"].errors
    assert stock_of(product, main) == 5


def test_the_product_page_shows_only_the_users_locations(warehouse, north):
    product = ProductFactory(stock=5)
    stock_apply(location_id=north.pk, changes={product.pk: 2}, reason="restock")
    scope(warehouse, north)

    page = warehouse.get(reverse("admin:catalog_product_change", args=[product.pk]))

    content = page.content.decode()
    assert 'data-location="NORTH"' in content
    assert 'data-location="MAIN"' not in content


def test_stock_levels_and_movements_lists_are_scoped(clerk, north):
    product = ProductFactory(stock=5)
    stock_apply(location_id=north.pk, changes={product.pk: 2}, reason="restock")
    scope(clerk, north)

    levels = clerk.get(reverse("admin:inventory_stocklevel_changelist"))
    movements = clerk.get(reverse("admin:inventory_stockmovement_changelist"))
    main_level = StockLevel.objects.get(location__code="MAIN")
    hidden = clerk.get(
        reverse("admin:inventory_stocklevel_change", args=[main_level.pk])
    )

    assert [lv.location for lv in levels.context["cl"].result_list] == [north]
    assert {m.location for m in movements.context["cl"].result_list} == {north}
    assert hidden.status_code == 302  # "does not exist", back to the list


def test_a_warehouse_user_sets_a_reorder_level_and_nothing_else(warehouse):
    product = ProductFactory(stock=5)
    level = StockLevel.objects.get(product=product)

    response = warehouse.post(
        reverse("admin:inventory_stocklevel_change", args=[level.pk]),
        {"reorder_level": 6, "on_hand": 999},
    )

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.reorder_level) == (5, 6)


def test_the_order_admin_lists_and_acts_on_the_users_locations_only(clerk, north):
    product = ProductFactory(stock=5)
    stock_apply(location_id=north.pk, changes={product.pk: 5}, reason="restock")
    at_main = OrderFactory(lines=[(product, 1)])
    at_north = OrderFactory(location=north, lines=[(product, 1)])
    scope(clerk, north)
    changelist = reverse("admin:sales_order_changelist")

    listed = clerk.get(changelist)
    clerk.post(
        changelist,
        {"action": "confirm_orders", "_selected_action": [at_main.pk, at_north.pk]},
    )
    hidden = clerk.get(reverse("admin:sales_order_change", args=[at_main.pk]))

    assert [o.pk for o in listed.context["cl"].result_list] == [at_north.pk]
    assert Order.objects.get(pk=at_north.pk).status == "confirmed"
    assert Order.objects.get(pk=at_main.pk).status == "draft"
    assert hidden.status_code == 302
    assert stock_of(product, north) == 4
    assert not StockMovement.objects.filter(order_id=at_main.pk).exists()


def test_a_new_order_in_the_admin_is_at_the_home_location(clerk, north):
    employee = EmployeeFactory(user=clerk.user)
    employee.locations.set([north])
    type(employee).objects.filter(pk=employee.pk).update(home_location=north)
    product = ProductFactory(stock=5)

    page = clerk.get(reverse("admin:sales_order_add"))
    response = clerk.post(
        reverse("admin:sales_order_add"),
        order_form(client=ClientFactory(), lines=[(product, 1)], employee=employee),
    )

    assert page.context["adminform"].form.initial["location"] == north.pk
    assert response.status_code == 302
    assert Order.objects.get().location == north


# --- Transfers -----------------------------------------------------------------


def transfer_form(source, destination, lines) -> dict:
    data = {
        "from_location": source.pk,
        "to_location": destination.pk,
        "notes": "",
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": 0,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    for n, (product, quantity) in enumerate(lines):
        data[f"lines-{n}-product"] = product.pk
        data[f"lines-{n}-quantity"] = quantity
    return data


def test_a_transfer_is_drafted_shipped_and_received_in_part_in_the_admin(
    warehouse, north
):
    from inventory.models import Transfer

    main = Location.objects.get(code="MAIN")
    pen, ink = ProductFactory(stock=10), ProductFactory(stock=4)

    added = warehouse.post(
        reverse("admin:inventory_transfer_add"),
        transfer_form(main, north, [(pen, 6), (ink, 4)]),
    )
    transfer = Transfer.objects.get()
    page = warehouse.get(reverse("admin:inventory_transfer_change", args=[transfer.pk]))
    warehouse.post(
        reverse("admin:inventory_transfer_transition", args=[transfer.pk, "ship"])
    )
    receipt = reverse("admin:inventory_transfer_receive", args=[transfer.pk])
    form = warehouse.get(receipt).context["form"]
    too_many = warehouse.post(receipt, {f"line_{pen.pk}": 7, f"line_{ink.pk}": 4})
    received = warehouse.post(
        receipt, {f"line_{pen.pk}": 5, f"line_{ink.pk}": 4}, follow=True
    )

    assert added.status_code == 302
    assert [b["action"] for b in page.context["transfer_transitions"]] == [
        "ship",
        "cancel",
    ]
    assert form.fields[f"line_{pen.pk}"].initial == 6
    assert too_many.status_code == 200 and too_many.context["form"].errors
    assert any("received" in m for m in messages_of(received))
    transfer.refresh_from_db()
    assert transfer.status == "received"
    assert dict(transfer.lines.values_list("product_id", "received_quantity")) == {
        pen.pk: 5,
        ink.pk: 4,
    }
    assert (stock_of(pen, main), stock_of(pen, north)) == (4, 5)
    assert (stock_of(ink, main), stock_of(ink, north)) == (0, 4)


def test_a_refused_shipment_is_reported_and_changes_nothing(warehouse, north):
    from inventory.models import Transfer
    from inventory.services import TransferLineSpec, transfer_create

    main = Location.objects.get(code="MAIN")
    pen = ProductFactory(name="Pen", stock=1)
    transfer = transfer_create(
        from_location=main, to_location=north, lines=[TransferLineSpec(pen, 3)]
    )

    response = warehouse.post(
        reverse("admin:inventory_transfer_transition", args=[transfer.pk, "ship"]),
        follow=True,
    )

    assert any("Insufficient stock" in m for m in messages_of(response))
    assert Transfer.objects.get(pk=transfer.pk).status == "draft"
    assert stock_of(pen, main) == 1


def test_the_transfer_admin_is_scoped_to_either_end(warehouse, north):
    from inventory.services import transfer_create

    main = Location.objects.get(code="MAIN")
    south = LocationFactory(code="SOUTH")
    mine = transfer_create(from_location=main, to_location=north)
    theirs = transfer_create(from_location=main, to_location=south)
    scope(warehouse, north)

    listed = warehouse.get(reverse("admin:inventory_transfer_changelist"))
    hidden = warehouse.get(reverse("admin:inventory_transfer_change", args=[theirs.pk]))
    form = (
        warehouse.get(reverse("admin:inventory_transfer_add")).context["adminform"].form
    )

    assert [t.pk for t in listed.context["cl"].result_list] == [mine.pk]
    assert hidden.status_code == 302
    assert list(form.fields["from_location"].queryset) == [north]


def test_clerks_see_transfers_but_cannot_ship_them(clerk, north):
    from inventory.services import transfer_create

    transfer = transfer_create(
        from_location=Location.objects.get(code="MAIN"), to_location=north
    )

    page = clerk.get(reverse("admin:inventory_transfer_change", args=[transfer.pk]))
    ship = clerk.post(
        reverse("admin:inventory_transfer_transition", args=[transfer.pk, "ship"])
    )

    assert page.status_code == 200
    assert page.context["transfer_transitions"] == []
    assert ship.status_code == 403
