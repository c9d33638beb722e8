"""Products, categories and the stock ledger in the admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Category, Product
from inventory.models import StockMovement
from sales.services import order_transition
from tests.admin.conftest import messages_of
from tests.factories import CategoryFactory, OrderFactory, ProductFactory
from tests.helpers import stock_of

pytestmark = pytest.mark.django_db


def adjust_url(product) -> str:
    return reverse("admin:catalog_product_adjust_stock", args=[product.pk])


def product_form(product=None, **fields) -> dict:
    data = {
        "name": "Fountain pen",
        "sku": "",
        "category": CategoryFactory().pk if product is None else product.category_id,
        "description": "",
        "unit_price": "19.99",
        "reorder_level": 0,
        "is_active": "on",
    }
    if product is not None:
        data.update(
            name=product.name,
            sku=product.sku or "",
            unit_price=product.unit_price,
            reorder_level=product.reorder_level,
        )
    data.update(fields)
    return data


def test_a_new_products_opening_stock_is_the_ledgers_initial_movement(manager):
    response = manager.post(
        reverse("admin:catalog_product_add"), product_form(stock=12, sku="FP-1")
    )

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.sku, stock_of(product)) == ("FP-1", 12)
    movement = product.movements.get()
    assert (movement.quantity, movement.reason, movement.created_by) == (
        12,
        "initial",
        manager.user,
    )


def test_stock_is_read_only_once_the_product_exists(manager):
    product = ProductFactory(stock=5)
    url = reverse("admin:catalog_product_change", args=[product.pk])

    form = manager.get(url).context["adminform"].form
    response = manager.post(url, product_form(product, stock=999, unit_price="7.00"))

    assert "stock" not in form.fields
    assert response.status_code == 302
    product.refresh_from_db()
    assert (stock_of(product), product.unit_price) == (5, Decimal("7.00"))


def test_a_price_change_does_not_touch_confirmed_orders(manager):
    product = ProductFactory(unit_price=Decimal("10.00"))
    order = order_transition(
        order_id=OrderFactory(lines=[(product, 2)]).pk, action="confirm"
    )
    url = reverse("admin:catalog_product_change", args=[product.pk])

    manager.post(url, product_form(product, unit_price="99.00"))

    order.refresh_from_db()
    assert order.lines.get().unit_price == Decimal("10.00")
    assert order.total_amount == Decimal("20.00")


def test_a_duplicate_sku_is_a_form_error(manager):
    ProductFactory(sku="ABC-1")

    response = manager.post(
        reverse("admin:catalog_product_add"), product_form(sku="abc-1", stock=0)
    )

    assert response.status_code == 200
    assert response.context["errors"]
    assert Product.objects.count() == 1


def test_warehouse_adjusts_stock_with_a_reason(warehouse):
    product = ProductFactory(stock=5)

    page = warehouse.get(reverse("admin:catalog_product_change", args=[product.pk]))
    response = warehouse.post(
        adjust_url(product),
        {"quantity": 7, "reason": "restock", "note": "Delivery 42"},
        follow=True,
    )

    assert page.context["can_adjust_stock"] is True
    assert adjust_url(product) in page.content.decode()
    product.refresh_from_db()
    assert stock_of(product) == 12
    movement = product.movements.first()
    assert (movement.quantity, movement.reason, movement.note, movement.created_by) == (
        7,
        "restock",
        "Delivery 42",
        warehouse.user,
    )
    assert any("now 12" in m for m in messages_of(response))


def test_an_adjustment_below_zero_is_refused_on_the_form(warehouse):
    product = ProductFactory(stock=2, name="Ink")
    movements = StockMovement.objects.count()

    response = warehouse.post(
        adjust_url(product), {"quantity": -3, "reason": "damage", "note": ""}
    )

    assert response.status_code == 200
    assert "Insufficient stock for product &#x27;Ink&#x27;" in response.content.decode()
    product.refresh_from_db()
    assert stock_of(product) == 2
    assert StockMovement.objects.count() == movements


@pytest.mark.parametrize(
    ("quantity", "reason"), [(0, "restock"), (5, "sale"), (5, "initial"), ("x", "")]
)
def test_an_adjustment_needs_a_quantity_and_an_adjustment_reason(
    warehouse, quantity, reason
):
    product = ProductFactory(stock=2)

    response = warehouse.post(
        adjust_url(product), {"quantity": quantity, "reason": reason}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    product.refresh_from_db()
    assert stock_of(product) == 2


def test_a_clerk_has_no_stock_tools(clerk):
    product = ProductFactory(stock=5)

    page = clerk.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert page.context["can_adjust_stock"] is False
    assert adjust_url(product) not in page.content.decode()
    assert clerk.get(adjust_url(product)).status_code == 403
    assert (
        clerk.post(
            adjust_url(product), {"quantity": 1, "reason": "restock"}
        ).status_code
        == 403
    )


def test_the_low_stock_filter(manager):
    low = ProductFactory(stock=2, reorder_level=2)
    ProductFactory(stock=3, reorder_level=2)

    response = manager.get(
        reverse("admin:catalog_product_changelist"), {"low_stock": "yes"}
    )

    assert list(response.context["cl"].result_list) == [low]


def test_the_product_page_shows_its_stock_movements(warehouse):
    product = ProductFactory(stock=5)
    order_transition(order_id=OrderFactory(lines=[(product, 2)]).pk, action="confirm")

    page = warehouse.get(reverse("admin:catalog_product_change", args=[product.pk]))
    ledger = warehouse.get(
        reverse("admin:inventory_stockmovement_changelist"),
        {"product__id__exact": product.pk},
    )

    body = page.content.decode()
    assert "Opening stock" in body and "Sale (order confirmed)" in body
    assert ledger.status_code == 200
    assert ledger.context["cl"].result_count == 2


def test_stock_movements_are_read_only_even_for_a_superuser(admin_as):
    superuser = admin_as(is_superuser=True)
    movement = ProductFactory(stock=5).movements.get()
    base = "admin:inventory_stockmovement"

    changelist = superuser.get(reverse(f"{base}_changelist"))
    assert changelist.status_code == 200
    assert superuser.get(reverse(f"{base}_add")).status_code == 403
    page = superuser.get(reverse(f"{base}_change", args=[movement.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    post = superuser.post(
        reverse(f"{base}_change", args=[movement.pk]), {"quantity": 9}
    )
    assert post.status_code == 403
    delete = superuser.post(
        reverse(f"{base}_delete", args=[movement.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert changelist.context["action_form"] is None  # no bulk delete either
    movement.refresh_from_db()
    assert movement.quantity == 5


def test_a_product_on_no_order_is_deleted_with_its_ledger(manager):
    product = ProductFactory(stock=5)

    response = manager.post(
        reverse("admin:catalog_product_delete", args=[product.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Product.objects.exists()
    assert not StockMovement.objects.exists()


def test_categories_list_their_product_counts_and_save_through_the_service(manager):
    category = CategoryFactory(name="Pens")
    ProductFactory.create_batch(2, category=category)

    listing = manager.get(reverse("admin:catalog_category_changelist"), {"q": "pen"})
    duplicate = manager.post(reverse("admin:catalog_category_add"), {"name": "PENS"})
    created = manager.post(reverse("admin:catalog_category_add"), {"name": "Ink"})

    [row] = listing.context["cl"].result_list
    assert row.product_count == 2
    assert duplicate.status_code == 200
    assert created.status_code == 302
    assert sorted(Category.objects.values_list("name", flat=True)) == ["Ink", "Pens"]


def test_the_product_autocomplete_offers_only_products_for_sale(clerk):
    ProductFactory(name="Pen for sale")
    ProductFactory(name="Pen retired", is_active=False)

    response = clerk.get(
        reverse("admin:autocomplete"),
        {
            "term": "pen",
            "app_label": "sales",
            "model_name": "orderline",
            "field_name": "product",
        },
    )

    names = [r["text"].split(" (")[0] for r in response.json()["results"]]
    assert names == ["Pen for sale"]


def test_a_zero_adjustment_is_refused_on_the_quantity_field_keeping_the_input(
    warehouse,
):
    product = ProductFactory(stock=2)
    movements = StockMovement.objects.count()

    response = warehouse.post(
        adjust_url(product), {"quantity": "0", "reason": "damage", "note": "Count"}
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors == {"quantity": ["The quantity must not be zero."]}
    assert (form["quantity"].value(), form["reason"].value()) == ("0", "damage")
    assert form["note"].value() == "Count"
    product.refresh_from_db()
    assert stock_of(product) == 2
    assert StockMovement.objects.count() == movements
