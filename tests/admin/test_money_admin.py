"""Taxes and discounts in the admin: the same services and refusals as the API."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import TaxClass, TaxRate
from catalog.services import RateSpec, tax_class_create
from sales.models import Order
from sales.services import order_transition
from tests.admin.test_orders_admin import ADD_URL, change_url, order_form
from tests.factories import ClientFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

TAX_ADD_URL = reverse("admin:catalog_taxclass_add")


def rates_form(name, rates, **extra) -> dict:
    data = {
        "name": name,
        "rates-TOTAL_FORMS": len(rates),
        "rates-INITIAL_FORMS": 0,
        "rates-MIN_NUM_FORMS": 0,
        "rates-MAX_NUM_FORMS": 5,
        **extra,
    }
    for index, (rate_name, rate) in enumerate(rates):
        data[f"rates-{index}-name"] = rate_name
        data[f"rates-{index}-rate"] = rate
    return data


@pytest.fixture
def quebec():
    return tax_class_create(
        name="Quebec",
        rates=[
            RateSpec(name="GST", rate=Decimal("0.05")),
            RateSpec(name="QST", rate=Decimal("0.09975")),
        ],
    )


def test_a_manager_creates_a_tax_class_with_its_rates(manager):
    response = manager.post(
        TAX_ADD_URL, rates_form("Quebec", [("GST", "0.05"), ("QST", "0.09975")])
    )

    assert response.status_code == 302
    tax_class = TaxClass.objects.get(name="Quebec")
    assert list(tax_class.rates.values_list("position", "name", "rate")) == [
        (1, "GST", Decimal("0.05000")),
        (2, "QST", Decimal("0.09975")),
    ]
    assert not tax_class.is_default


def test_duplicate_rate_names_are_shown_on_the_form_and_nothing_is_written(manager):
    response = manager.post(
        TAX_ADD_URL, rates_form("Twice", [("GST", "0.05"), ("gst", "0.05")])
    )

    assert response.status_code == 200
    assert "Two rates are named" in response.content.decode()
    assert not TaxClass.objects.filter(name="Twice").exists()
    assert not TaxRate.objects.exists()


def test_a_clerk_may_only_look_at_tax_classes(clerk, quebec):
    assert clerk.get(reverse("admin:catalog_taxclass_changelist")).status_code == 200
    assert clerk.post(TAX_ADD_URL, rates_form("X", [])).status_code == 403
    assert not TaxClass.objects.filter(name="X").exists()


def test_a_clerk_discounts_a_draft_and_sees_the_taxes(clerk, quebec):
    product = ProductFactory(unit_price=Decimal("10.00"), tax_class=quebec)
    client = ClientFactory()

    response = clerk.post(
        ADD_URL,
        order_form(
            client=client,
            lines=[(product, 3)],
            discount_kind="amount",
            discount_value="10.00",
            discount_reason="Loyal client",
        ),
    )

    assert response.status_code == 302
    order = Order.objects.get()
    # net 20.00: GST 1.00, QST 1.995 -> 2.00
    assert (order.subtotal, order.discount_total, order.tax_total) == (
        Decimal("30.00"),
        Decimal("10.00"),
        Decimal("3.00"),
    )
    assert order.total_amount == Decimal("23.00")
    assert order.discount_reason == "Loyal client"
    page = clerk.get(change_url(order)).content.decode()
    assert "23.00" in page and "QST 2.00" in page
    # Changing only the discount keeps the lines and recomputes the money.
    response = clerk.post(
        change_url(order),
        order_form(
            client=client,
            order=order,
            lines=[(product, 3)],
            discount_kind="percent",
            discount_value="100",
        ),
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.discount_total, order.tax_total, order.total_amount) == (
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_an_amount_above_the_subtotal_is_refused_on_the_form(clerk):
    product = ProductFactory(unit_price=Decimal("5.00"))

    response = clerk.post(
        ADD_URL,
        order_form(
            client=ClientFactory(),
            lines=[(product, 1)],
            discount_kind="amount",
            discount_value="5.01",
        ),
    )

    assert response.status_code == 200
    assert "more than the order" in response.content.decode()
    assert not Order.objects.exists()


def test_a_discount_without_a_kind_is_refused(clerk):
    response = clerk.post(
        ADD_URL,
        order_form(
            client=ClientFactory(),
            lines=[(ProductFactory(), 1)],
            discount_value="5.00",
        ),
    )

    assert response.status_code == 200
    assert not Order.objects.exists()


def test_a_confirmed_orders_discount_is_read_only(clerk):
    order = OrderFactory(lines=[(ProductFactory(), 1)])
    order_transition(order_id=order.pk, action="confirm")

    response = clerk.get(change_url(order))

    form = response.context["adminform"].form
    assert "discount_kind" not in form.fields
    assert "discount_value" not in form.fields
