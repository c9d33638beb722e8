"""Purchase orders, suppliers and reorder suggestions in the back-office."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from catalog.models import Supplier
from inventory.models import StockLevel
from inventory.services import location_default, stock_level_update
from purchasing.models import PurchaseOrder
from purchasing.services import purchase_order_transition
from tests.factories import ProductFactory, PurchaseOrderFactory, SupplierFactory
from tests.helpers import assert_ledger_exact, stock_of

from .conftest import messages_of

pytestmark = pytest.mark.django_db


def change_url(purchase_order):
    return reverse("admin:purchasing_purchaseorder_change", args=[purchase_order.pk])


def receive_url(purchase_order):
    return reverse("admin:purchasing_purchaseorder_receive", args=[purchase_order.pk])


def transition_url(purchase_order, action):
    return reverse(
        "admin:purchasing_purchaseorder_transition", args=[purchase_order.pk, action]
    )


def ordered(lines):
    purchase_order = PurchaseOrderFactory(lines=lines)
    purchase_order_transition(purchase_order_id=purchase_order.pk, action="order")
    return purchase_order


def test_a_manager_adds_a_supplier_through_the_service(manager):
    response = manager.post(
        reverse("admin:catalog_supplier_add"),
        {
            "name": "Acme",
            "email": "",
            "phone": "",
            "address": "",
            "lead_time_days": 5,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content
    assert Supplier.objects.get().lead_time_days == 5
    assert AuditEntry.objects.filter(object_type="supplier", action="create")


def test_a_draft_is_created_with_its_lines(manager):
    supplier, product = SupplierFactory(), ProductFactory()
    prefix = "lines"

    response = manager.post(
        reverse("admin:purchasing_purchaseorder_add"),
        {
            "supplier": supplier.pk,
            "location": "",
            "notes": "",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-product": product.pk,
            f"{prefix}-0-quantity": "4",
            f"{prefix}-0-unit_cost": "2.1250",
        },
    )

    assert response.status_code == 302, response.content
    purchase_order = PurchaseOrder.objects.get()
    assert purchase_order.location == location_default()
    line = purchase_order.lines.get()
    assert (line.quantity, line.unit_cost) == (4, Decimal("2.1250"))


def test_the_page_offers_the_transitions_the_user_may_make(manager, warehouse):
    draft = PurchaseOrderFactory(lines=[(ProductFactory(), 1, "1.00")])
    sent = ordered([(ProductFactory(), 1, "1.00")])

    draft_page = manager.get(change_url(draft)).content.decode()
    sent_page = manager.get(change_url(sent)).content.decode()
    kept_page = warehouse.get(change_url(sent)).content.decode()

    assert 'id="purchase-order-order"' in draft_page
    assert 'id="purchase-order-receive"' not in draft_page
    assert 'id="purchase-order-receive"' in sent_page
    assert 'id="purchase-order-cancel"' in sent_page
    assert 'id="purchase-order-receive"' in kept_page
    assert 'id="purchase-order-cancel"' not in kept_page


def test_the_buttons_order_and_cancel(manager):
    draft = PurchaseOrderFactory(lines=[(ProductFactory(), 1, "1.00")])

    manager.post(transition_url(draft, "order"))
    draft.refresh_from_db()
    assert draft.status == "ordered"

    response = manager.post(transition_url(draft, "cancel"), follow=True)
    draft.refresh_from_db()
    assert draft.status == "cancelled"
    assert f"Purchase order #{draft.pk} cancelled." in messages_of(response)


def test_ordering_an_empty_draft_is_refused_with_a_message(manager):
    draft = PurchaseOrderFactory()

    response = manager.post(transition_url(draft, "order"), follow=True)

    draft.refresh_from_db()
    assert draft.status == "draft"
    assert any("has no lines" in m for m in messages_of(response))


def test_the_receive_form_shows_what_each_line_awaits_and_receives_part(warehouse):
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "2.0000")])

    form = warehouse.get(receive_url(purchase_order))
    assert form.status_code == 200
    assert f'name="line_{product.pk}"' in form.content.decode()
    assert "5 awaited of 5 ordered" in form.content.decode()

    response = warehouse.post(receive_url(purchase_order), {f"line_{product.pk}": 2})

    assert response.status_code == 302
    purchase_order.refresh_from_db()
    assert purchase_order.status == "partially_received"
    assert stock_of(product) == 2
    page = warehouse.get(receive_url(purchase_order)).content.decode()
    assert "3 awaited of 5 ordered" in page


def test_receiving_more_than_awaited_in_the_form_writes_nothing(warehouse):
    product = ProductFactory(stock=0)
    purchase_order = ordered([(product, 5, "2.0000")])

    response = warehouse.post(receive_url(purchase_order), {f"line_{product.pk}": 6})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert stock_of(product) == 0
    assert_ledger_exact()


def test_a_clerk_may_not_receive(clerk):
    purchase_order = ordered([(ProductFactory(stock=0), 1, "1.00")])

    assert clerk.get(receive_url(purchase_order)).status_code == 403
    assert clerk.post(transition_url(purchase_order, "cancel")).status_code == 403


def test_the_reorder_page_lists_suggestions_and_creates_drafts(manager):
    supplier = SupplierFactory()
    product = ProductFactory(stock=0, supplier=supplier)
    received = ordered([(product, 2, "4.5000")])
    purchase_order_transition(purchase_order_id=received.pk, action="receive")
    stock_level_update(
        stock_level=StockLevel.objects.get(product=product), reorder_level=10
    )
    url = reverse("admin:purchasing_purchaseorder_reorder")

    page = manager.get(url)

    assert page.status_code == 200
    assert f'data-product="{product.pk}"' in page.content.decode()
    assert page.context["suggestions"][0]["suggested_quantity"] == 8
    assert 'id="reorder_create"' in page.content.decode()

    created = manager.post(
        url, {"location": location_default().pk, "cover_days": 14}, follow=True
    )

    draft = PurchaseOrder.objects.get(status="draft")
    line = draft.lines.get()
    assert (line.product_id, line.quantity, line.unit_cost) == (
        product.pk,
        8,
        Decimal("4.5000"),
    )
    assert any("1 draft purchase order created" in m for m in messages_of(created))
    assert created.context["suggestions"] == []


def test_the_warehouse_sees_the_reorder_page_but_creates_nothing(warehouse):
    url = reverse("admin:purchasing_purchaseorder_reorder")

    assert warehouse.get(url).status_code == 200
    response = warehouse.post(url, {"location": location_default().pk, "cover_days": 1})

    assert response.status_code == 403
    assert not PurchaseOrder.objects.exists()
