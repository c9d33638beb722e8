"""``manage.py seed_demo``: a consistent, reproducible, idempotent demo store."""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import override_settings

from catalog.models import Category, Product, TaxClass
from catalog.services import category_create
from customers.models import Client
from inventory.models import StockMovement
from inventory.services import product_create
from sales.models import Order, OrderLine, OrderStatusChange
from sales.seeding import Sizes, flush_store, invariant_violations, seed_demo
from staff.models import Employee
from tests.helpers import stock_of

from .snapshot import store_snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

SMALL = {
    "categories": 4,
    "products": 12,
    "clients": 10,
    "employees": 4,
    "orders": 25,
    "months": 3,
}
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
STATUSES = {"draft", "confirmed", "shipped", "delivered", "cancelled"}


def seed(**options) -> str:
    out = StringIO()
    call_command(
        "seed_demo", **{**SMALL, "password": "demo-pass-123", **options}, stdout=out
    )
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Category,
            Product,
            Client,
            Employee,
            Order,
            OrderLine,
            OrderStatusChange,
            StockMovement,
            get_user_model(),
        )
    }


# --- The invariants -------------------------------------------------------------


def test_seeded_store_keeps_every_bookkeeping_rule():
    seed(seed=11)

    assert invariant_violations() == {}
    assert Category.objects.count() == SMALL["categories"]
    assert Product.objects.count() == SMALL["products"]
    assert Client.objects.count() == SMALL["clients"]
    assert Employee.objects.count() == SMALL["employees"]
    assert Order.objects.count() == SMALL["orders"]
    assert set(Order.objects.values_list("status", flat=True)) == STATUSES


def test_every_products_stock_is_the_sum_of_its_ledger():
    seed(seed=12)

    for product in Product.objects.annotate(moved=Sum("movements__quantity")):
        assert stock_of(product) == product.moved, product.sku
    reasons = set(StockMovement.objects.values_list("reason", flat=True))
    assert {"initial", "sale", "cancellation"} <= reasons


def test_order_totals_are_the_sums_of_their_lines():
    seed(seed=13)

    for order in Order.objects.prefetch_related("lines"):
        lines = order.lines.all()
        # v2: the subtotal is v1's total; the total adds taxes, less discounts.
        assert order.subtotal == sum((line.line_total for line in lines), 0)
        assert order.discount_total == sum((line.discount_amount for line in lines), 0)
        assert order.tax_total == sum((line.tax_amount for line in lines), 0)
        assert order.total_amount == (
            order.subtotal - order.discount_total + order.tax_total
        )
        assert order.lines.exists()


def test_the_demo_taxes_most_products_in_quebec_and_discounts_some_orders():
    seed(seed=13, orders=200)

    classes = {
        c.name: [(r.name, str(r.rate)) for r in c.rates.order_by("position")]
        for c in TaxClass.objects.prefetch_related("rates")
    }
    assert classes["Quebec (GST + QST)"] == [("GST", "0.05000"), ("QST", "0.09975")]
    assert classes["Zero-rated (basic groceries)"] == []
    used = Counter(Product.objects.values_list("tax_class__name", flat=True))
    assert used.most_common(1)[0][0] == "Quebec (GST + QST)"
    orders = Order.objects.all()
    discounted = orders.exclude(discount_kind=None)
    assert 0 < discounted.count() < orders.count()
    kinds = set(discounted.values_list("discount_kind", flat=True))
    assert kinds == {"percent", "amount"}
    assert orders.filter(tax_total__gt=0).exists()


def test_status_timestamps_and_history_follow_the_status():
    seed(seed=14)
    path = {
        "draft": [],
        "confirmed": [("draft", "confirmed")],
        "shipped": [("draft", "confirmed"), ("confirmed", "shipped")],
        "delivered": [
            ("draft", "confirmed"),
            ("confirmed", "shipped"),
            ("shipped", "delivered"),
        ],
    }

    for order in Order.objects.prefetch_related("history"):
        history = list(order.history.all())
        steps = [(h.from_status, h.to_status) for h in history]
        if order.status == "cancelled":
            assert order.cancelled_at is not None
            expected = (
                [("draft", "cancelled")]
                if order.confirmed_at is None
                else [("draft", "confirmed"), ("confirmed", "cancelled")]
            )
            assert steps == expected
        else:
            assert order.cancelled_at is None
            assert steps == path[order.status]
        stamps = [
            order.created_at,
            order.confirmed_at,
            order.shipped_at,
            order.delivered_at,
        ]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present)
        assert [h.changed_at for h in history] == sorted(h.changed_at for h in history)
        assert all(h.changed_by is not None for h in history)


def test_confirmed_orders_have_a_sale_movement_per_line_and_cancelled_ones_give_back():
    seed(seed=15)

    for order in Order.objects.prefetch_related("lines"):
        movements = StockMovement.objects.filter(order_id=order.pk)
        if order.confirmed_at is None:
            assert not movements.exists()
            continue
        for line in order.lines.all():
            sales = movements.filter(product=line.product, reason="sale")
            assert list(sales.values_list("quantity", flat=True)) == [-line.quantity]
            given_back = list(
                movements.filter(
                    product=line.product, reason="cancellation"
                ).values_list("quantity", flat=True)
            )
            cancelled = order.status == "cancelled"
            assert given_back == ([line.quantity] if cancelled else [])


def test_orders_spread_over_the_requested_months_and_end_before_now():
    seed_demo(sizes=Sizes(**SMALL), seed=16, now=NOW)

    first = Order.objects.order_by("created_at").first().created_at
    assert (NOW - first).days <= 3 * 30
    assert (NOW - first).days > 30
    for field in ("created_at", "confirmed_at", "shipped_at", "delivered_at"):
        latest = Order.objects.exclude(**{field: None}).order_by(f"-{field}").first()
        assert getattr(latest, field) < NOW


def test_default_sizes_seed_the_store_that_make_run_shows():
    output = StringIO()
    call_command("seed_demo", seed=1, stdout=output)

    defaults = Sizes()
    assert Order.objects.count() == defaults.orders
    assert Product.objects.count() == defaults.products
    assert invariant_violations() == {}
    assert "Demo logins (shown once" in output.getvalue()


# --- Reproducible ---------------------------------------------------------------


def test_same_seed_and_clock_give_the_same_store():
    seed_demo(sizes=Sizes(**SMALL), seed=21, now=NOW, password="x")
    first = store_snapshot()
    flush_store()
    seed_demo(sizes=Sizes(**SMALL), seed=21, now=NOW, password="x")

    assert store_snapshot() == first


def test_same_seed_on_the_command_line_gives_the_same_store():
    seed(seed=22)
    first = store_snapshot(with_times=False)
    seed(seed=22, flush=True, interactive=False)

    assert store_snapshot(with_times=False) == first


def test_another_seed_gives_another_store():
    seed_demo(sizes=Sizes(**SMALL), seed=23, now=NOW, password="x")
    first = store_snapshot()
    flush_store()
    seed_demo(sizes=Sizes(**SMALL), seed=24, now=NOW, password="x")

    assert store_snapshot()["clients"] != first["clients"]
    assert store_snapshot()["orders"] != first["orders"]


# --- Idempotent, flush ------------------------------------------------------------


def test_second_run_adds_nothing():
    first_output = seed(seed=31)
    before = counts()
    snapshot = store_snapshot()

    second_output = seed(seed=32)

    assert counts() == before
    assert store_snapshot() == snapshot
    assert "Demo logins" in first_output
    assert "Demo logins" not in second_output
    assert "already has data" in second_output


def test_a_store_with_real_data_is_left_alone():
    category = category_create(name="Our own")
    product_create(category=category, name="Our product", unit_price=1, stock=3)

    output = seed(seed=33)

    assert "no demo seeded" in output
    assert list(Product.objects.values_list("name", flat=True)) == ["Our product"]
    assert not get_user_model().objects.filter(username="manager").exists()


def test_flush_starts_over_without_duplicating():
    seed(seed=34)
    someone = get_user_model().objects.create_user("alice", password="x")

    output = seed(seed=35, flush=True, interactive=False, orders=25)

    assert "Flushed the store" in output
    assert Order.objects.count() == 25
    assert Product.objects.count() == SMALL["products"]
    assert Employee.objects.count() == SMALL["employees"]
    assert get_user_model().objects.filter(username="manager").count() == 1
    assert get_user_model().objects.filter(pk=someone.pk).exists()
    assert "Demo logins" in output
    assert invariant_violations() == {}


def test_a_real_account_with_a_demo_username_is_not_taken_over():
    real = get_user_model().objects.create_user(
        "manager", email="boss@shop.example.org", password="own-password"
    )

    with pytest.raises(CommandError, match="not demo logins"):
        seed(seed=36)

    real.refresh_from_db()
    assert not real.is_staff
    assert not real.groups.exists()
    assert real.check_password("own-password")
    assert not Category.objects.exists()


def test_flush_keeps_real_accounts():
    seed(seed=37)
    # The demo manager made history, so it cannot be deleted: make it the
    # shop's own account instead.
    real = get_user_model().objects.get(username="manager")
    real.email = "boss@shop.example.org"
    real.save(update_fields=["email"])

    flush_store()

    assert get_user_model().objects.filter(pk=real.pk).exists()
    assert not get_user_model().objects.filter(username="clerk").exists()


# --- Demo logins ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "clerk", "warehouse"])
def test_demo_logins_have_their_role_and_an_employee(role):
    seed(seed=41)

    user = get_user_model().objects.get(username=role)
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert user.employee.is_active
    assert user.check_password("demo-pass-123")


def test_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-42")
    out = StringIO()
    call_command("seed_demo", **SMALL, seed=42, stdout=out)

    user = get_user_model().objects.get(username="clerk")
    assert user.check_password("from-the-env-42")
    assert "from-the-env-42" not in out.getvalue()


def test_generated_password_is_printed_once_and_works(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = StringIO()
    call_command("seed_demo", **SMALL, seed=43, stdout=out)

    line = next(row for row in out.getvalue().splitlines() if "role: warehouse" in row)
    password = line.split()[1]
    assert get_user_model().objects.get(username="warehouse").check_password(password)
    assert "role: warehouse" not in seed(seed=43)


def test_history_and_ledger_name_the_demo_logins():
    seed(seed=44)

    history = OrderStatusChange.objects.all()
    actors = set(history.values_list("changed_by__username", flat=True))
    assert actors <= {"manager", "clerk", "warehouse"}
    assert "warehouse" in actors
    assert not StockMovement.objects.filter(created_by=None).exists()


# --- Refusals ---------------------------------------------------------------------


@override_settings(DJANGO_ENV="prod")
def test_refused_in_prod():
    with pytest.raises(CommandError, match="DJANGO_ENV=prod"):
        seed(seed=51)

    assert not Order.objects.exists()
    assert not Product.objects.exists()


@override_settings(DJANGO_ENV="prod")
def test_flush_is_refused_in_prod_too():
    category = category_create(name="Real")
    product_create(category=category, name="Real product", unit_price=5, stock=1)

    with pytest.raises(CommandError, match="DJANGO_ENV=prod"):
        seed(seed=52, flush=True, interactive=False)

    assert Product.objects.count() == 1


@override_settings(DJANGO_ENV="prod")
def test_prod_can_be_forced():
    seed(seed=53, force=True)

    assert Order.objects.count() == SMALL["orders"]


@pytest.mark.parametrize(
    "options",
    [{"categories": 99}, {"employees": 2}, {"products": 0}, {"orders": -1}],
)
def test_impossible_sizes_are_refused(options):
    with pytest.raises(CommandError):
        seed(seed=54, **options)

    assert not Category.objects.exists()


def test_check_option_reports_that_the_rules_hold():
    output = seed(seed=56, check=True)

    assert "Checked:" in output


def test_check_option_fails_on_a_broken_ledger():
    seed(seed=57)
    StockMovement.objects.filter(reason="initial").first().delete()

    with pytest.raises(CommandError, match="stock differs from the sum"):
        call_command("seed_demo", check=True, stdout=StringIO())


def test_the_demo_has_a_store_and_a_warehouse_stocked_by_transfers():
    from inventory.models import Location, Transfer
    from tests.helpers import assert_ledger_exact

    seed(seed=4)

    assert sorted(Location.objects.values_list("code", "kind")) == [
        ("DEPOT", "warehouse"),
        ("MAIN", "store"),
        ("NORTH", "store"),
    ]
    assert set(Transfer.objects.values_list("status", flat=True)) == {
        "draft",
        "in_transit",
        "received",
        "cancelled",
    }
    for code in ("NORTH", "DEPOT"):
        assert StockMovement.objects.filter(
            location__code=code, reason="transfer_in"
        ).exists()
    assert_ledger_exact()
    assert invariant_violations() == {}


def test_the_check_finds_a_discount_cent_on_the_wrong_line():
    seed(seed=58, orders=120)
    order = next(
        o
        for o in Order.objects.exclude(discount_kind=None).prefetch_related("lines")
        if len(o.lines.all()) >= 2
        and all(line.discount_amount >= Decimal("0.01") for line in o.lines.all())
    )
    first, second = sorted(order.lines.all(), key=lambda line: line.pk)[:2]
    # Sums and per-row constraints still hold; only the spread is wrong.
    cent = Decimal("0.01")
    for line, change in ((first, cent), (second, -cent)):
        OrderLine.objects.filter(pk=line.pk).update(
            discount_amount=line.discount_amount + change,
            net_amount=line.net_amount - change,
        )

    found = invariant_violations()

    assert set(found["line discount is not its largest-remainder share"]) == {
        first.pk,
        second.pk,
    }


def test_the_check_finds_a_tax_that_is_not_its_rate_of_the_net():
    seed(seed=59)
    line = OrderLine.objects.exclude(taxes=[]).order_by("pk").first()
    taxes = [dict(tax) for tax in line.taxes]
    taxes[0]["amount"] = f"{Decimal(taxes[0]['amount']) + Decimal('0.01'):.2f}"
    OrderLine.objects.filter(pk=line.pk).update(
        taxes=taxes, tax_amount=line.tax_amount + Decimal("0.01")
    )

    found = invariant_violations()

    assert found["line taxes differ from their rates on its net amount"] == [line.pk]
    assert found["order discount or tax differs from the sum of its lines'"] == [
        line.order_id
    ]


# --- Purchasing -----------------------------------------------------------------


def test_the_demo_buys_from_suppliers_in_every_purchase_order_status():
    from catalog.models import Supplier
    from purchasing.models import PurchaseOrder

    seed(seed=5)

    statuses = set(PurchaseOrder.objects.values_list("status", flat=True))
    assert statuses == {
        "draft",
        "ordered",
        "partially_received",
        "received",
        "closed",
        "cancelled",
    }
    assert Supplier.objects.filter(is_active=False).exists()
    with_supplier = Product.objects.exclude(supplier=None)
    assert with_supplier.count() >= SMALL["products"] * 0.8
    assert not with_supplier.filter(average_cost=0).exists()
    assert StockMovement.objects.filter(reason="purchase").exists()
    assert invariant_violations() == {}


def test_the_invariants_catch_an_average_cost_off_its_receipts():
    seed(seed=5)
    product = Product.objects.exclude(average_cost=0).first()
    Product.objects.filter(pk=product.pk).update(
        average_cost=product.average_cost + Decimal("0.0001")
    )

    assert invariant_violations() == {
        "average cost is not its receipts' moving average": [product.pk]
    }


def test_the_demo_has_returns_whole_and_partial_restocked_and_written_off():
    from sales.models import Return, ReturnLine
    from tests.helpers import assert_ledger_exact

    seed(seed=5, orders=120)

    assert Return.objects.exists()
    lines = list(ReturnLine.objects.select_related("order_line"))
    assert {line.restock for line in lines} == {True, False}
    returned = Order.objects.filter(returns__isnull=False).distinct()
    whole = [o for o in returned if o.refunded_amount == o.total_amount]
    assert whole and len(whole) < len(returned)
    assert (
        Order.objects.filter(refunded_amount__gt=0).exclude(status="delivered").count()
        == 0
    )
    assert StockMovement.objects.filter(reason="return", return_id__isnull=False)
    assert_ledger_exact()
    assert invariant_violations() == {}


def test_the_check_finds_a_refund_that_is_not_its_returns():
    from sales.models import ReturnLine

    seed(seed=60, orders=120)
    line = ReturnLine.objects.select_related("order_return").order_by("pk").first()
    # The order, the return and its line agree with each other, but the
    # order line's quantity no longer does.
    OrderLine.objects.filter(pk=line.order_line_id).update(returned_quantity=0)

    found = invariant_violations()

    assert found == {
        "line returned quantity differs from its return lines'": [line.order_line_id]
    }
