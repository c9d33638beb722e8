"""Whole-table counts kept by triggers: always equal to ``COUNT(*)``, read cheaply.

Every check compares the counter with a real ``COUNT(*)``, both in raw SQL, so
neither side goes through the ``count()`` shortcut under test.
"""

import threading
from importlib import import_module

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product
from catalog.services import product_delete
from inventory.models import StockMovement
from inventory.services import stock_adjust
from sales.models import Order
from sales.seeding import Sizes, flush_store, seed_demo
from sales.services import order_delete, order_transition
from store_project.models import RowCount
from tests.conftest import ensure_roles
from tests.factories import ClientFactory, OrderFactory, ProductFactory, UserFactory
from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db

ORDERS = Order._meta.db_table
MOVEMENTS = StockMovement._meta.db_table
PRODUCTS = Product._meta.db_table


def counted(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(rows), 0) FROM {RowCount._meta.db_table} "
            "WHERE table_name = %s",
            [table],
        )
        return int(cursor.fetchone()[0])


def real(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


def assert_counted(table: str, expected: int) -> None:
    assert (counted(table), real(table)) == (expected, expected)


def count_queries_on(captured, table: str) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if "COUNT(" in q["sql"].upper() and table in q["sql"]
    ]


def skew_the_counter(table: str, by: int) -> None:
    """Make the counter wrong on purpose, to see who reads it (rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RowCount._meta.db_table} SET rows = rows + %s "
            f"WHERE id = (SELECT min(id) FROM {RowCount._meta.db_table} "
            "WHERE table_name = %s)",
            [by, table],
        )
        assert cursor.rowcount == 1


# --- The triggers keep the counter exact ----------------------------------------


def test_orders_created_through_the_service_are_counted():
    client = ClientFactory()
    OrderFactory.create_batch(3, client=client)

    assert_counted(ORDERS, 3)


def test_a_deleted_draft_is_no_longer_counted():
    first, second = OrderFactory.create_batch(2)

    order_delete(order=first)

    assert_counted(ORDERS, 1)
    order_delete(order=second)
    assert_counted(ORDERS, 0)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_counts_nothing():
    OrderFactory()
    client = ClientFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        OrderFactory.create_batch(4, client=client)
        assert_counted(ORDERS, 5)  # the transaction sees its own rows counted
        raise RuntimeError("roll back")

    assert_counted(ORDERS, 1)


def test_stock_movements_are_counted_as_the_ledger_grows_and_shrinks():
    products = ProductFactory.create_batch(3, stock=5)  # an opening movement each
    order = OrderFactory(lines=[(p, 2) for p in products[:2]])
    order_transition(order_id=order.pk, action="confirm")  # one sale per line
    stock_adjust(product=products[2], quantity=4, reason="restock")

    assert_counted(MOVEMENTS, 6)
    product_delete(product=products[2])  # its two movements go with it
    assert_counted(MOVEMENTS, 4)


def test_truncate_resets_the_count():
    OrderFactory.create_batch(3, lines=[(ProductFactory(), 1)])
    assert (counted(ORDERS), counted(MOVEMENTS)) == (3, 1)  # the opening stock

    flush_store()  # one TRUNCATE of the store's tables

    assert_counted(ORDERS, 0)
    assert_counted(MOVEMENTS, 0)
    OrderFactory()
    assert_counted(ORDERS, 1)


def test_seed_demo_with_copy_leaves_exact_counts():
    ensure_roles()
    sizes = Sizes(categories=3, products=15, clients=8, employees=4, orders=60)

    result = seed_demo(sizes=sizes, seed=3, bulk=True, password="x")

    assert result.method == "copy"
    assert_counted(ORDERS, 60)
    assert_counted(PRODUCTS, 15)
    assert counted(MOVEMENTS) == real(MOVEMENTS) > 15


def test_seed_demo_through_the_services_counts_once_and_counts_on_after():
    ensure_roles()
    sizes = Sizes(categories=3, products=15, clients=8, employees=4, orders=40)

    result = seed_demo(sizes=sizes, seed=5, bulk=False, password="x")

    assert result.method == "services"
    assert_counted(ORDERS, 40)
    assert counted(MOVEMENTS) == real(MOVEMENTS) > 15
    # One counter row per table, written at the end of the seeding.
    assert RowCount.objects.filter(table_name=ORDERS).count() == 1
    OrderFactory()  # the triggers count again
    assert_counted(ORDERS, 41)


def test_installing_the_triggers_counts_the_rows_already_there():
    OrderFactory.create_batch(2)
    # The migration's own SQL, as it was frozen there.
    migration = import_module("sales.migrations.0002_count_order_rows").Migration
    (operation,) = migration.operations
    with connection.schema_editor() as editor:
        operation.database_backwards("sales", editor, None, None)
    OrderFactory()  # not counted: no triggers
    assert (counted(ORDERS), real(ORDERS)) == (0, 3)

    with connection.schema_editor() as editor:
        operation.database_forwards("sales", editor, None, None)

    assert_counted(ORDERS, 3)
    OrderFactory()
    assert_counted(ORDERS, 4)


# --- Concurrent writers: on real connections, in their own transactions ----------


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_are_all_counted():
    client = ClientFactory()

    def create_five():
        for _ in range(5):
            OrderFactory(client=client)

    run_concurrently([create_five] * 8)

    assert_counted(ORDERS, 40)


@pytest.mark.django_db(transaction=True)
def test_concurrent_multi_line_confirmations_all_succeed_and_are_counted():
    # Each confirmation writes one ledger row per line, one statement each,
    # while it holds its products' locks: a counter that made writers wait on
    # one another would make these wait, or deadlock.
    orders = [
        OrderFactory(lines=[(p, 1) for p in ProductFactory.create_batch(20)])
        for _ in range(6)
    ]
    before = real(MOVEMENTS)

    run_concurrently(
        [lambda o=o: order_transition(order_id=o.pk, action="confirm") for o in orders]
    )

    assert_counted(MOVEMENTS, before + 6 * 20)


@pytest.mark.django_db(transaction=True)
def test_a_writer_never_waits_for_another_transactions_count():
    # A writer waiting for a counter row that another transaction holds until
    # it commits would deadlock with it as soon as that one waits for a row
    # the first writer holds (two confirmations sharing a product).
    client = ClientFactory()
    OrderFactory(client=client)  # a committed counter row for both to want
    holding, done = threading.Event(), threading.Event()

    def hold_an_open_transaction():
        with transaction.atomic():
            for _ in range(20):  # twenty statements, twenty counter updates
                OrderFactory(client=client)
            holding.set()
            assert done.wait(10)

    def write_meanwhile():
        assert holding.wait(10)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                OrderFactory(client=client)
        finally:
            done.set()

    run_concurrently([hold_an_open_transaction, write_meanwhile])

    assert_counted(ORDERS, 22)


# --- count() reads the counter for whole tables only ----------------------------


def test_whole_table_count_reads_the_counter_not_the_table():
    OrderFactory.create_batch(3)
    skew_the_counter(ORDERS, 1000)

    with CaptureQueriesContext(connection) as captured:
        assert Order.objects.count() == 1003
        assert Order.objects.select_related("client").order_by("pk").count() == 1003

    assert count_queries_on(captured, ORDERS) == []
    assert len(captured) == 2


@pytest.mark.parametrize(
    ("narrowed", "expected"),
    [
        pytest.param(lambda qs: qs.filter(status="draft"), 2, id="filter"),
        pytest.param(lambda qs: qs.exclude(notes=""), 1, id="exclude"),
        pytest.param(lambda qs: qs.none(), 0, id="none"),
        pytest.param(lambda qs: qs[:2], 2, id="slice"),
        pytest.param(lambda qs: qs.distinct(), 3, id="distinct"),
        pytest.param(lambda qs: qs.filter(notes="").union(qs), 3, id="union"),
        pytest.param(
            lambda qs: qs.values("status").annotate(n=Count("id")), 2, id="group-by"
        ),
        pytest.param(lambda qs: qs.extra(where=["notes <> ''"]), 1, id="extra"),
    ],
)
def test_any_narrower_count_counts_the_rows(narrowed, expected):
    OrderFactory.create_batch(2)
    order_transition(
        order_id=OrderFactory(notes="x", lines=[(ProductFactory(), 1)]).pk,
        action="confirm",
    )
    skew_the_counter(ORDERS, 1000)

    assert narrowed(Order.objects.all()).count() == expected


def test_joins_along_foreign_keys_keep_the_counter_others_count_rows():
    product = ProductFactory()
    OrderFactory.create_batch(2, lines=[(product, 1)])  # two lines: a join repeats it
    ProductFactory()
    skew_the_counter(PRODUCTS, 1000)
    products = Product.objects.all()

    # Each product has exactly one category: the join keeps every row once.
    assert products.values_list("id", "category__name").count() == 1002
    # Its order lines repeat a product, or leave it out when inner.
    assert products.values_list("id", "order_lines__id").count() == 3
    assert products.filter(order_lines__quantity__gte=1).count() == 2


def test_a_fetched_queryset_counts_what_it_holds():
    OrderFactory.create_batch(2)
    skew_the_counter(ORDERS, 1000)
    orders = Order.objects.all()
    list(orders)

    with CaptureQueriesContext(connection) as captured:
        assert orders.count() == 2
    assert len(captured) == 0


# --- Where it matters: API lists and admin changelists --------------------------


def test_order_list_answers_the_exact_count_in_constant_queries(manager_api):
    client = ClientFactory()

    def list_orders(**params):
        with CaptureQueriesContext(connection) as captured:
            response = manager_api.get("/api/v1/orders/", {"page_size": 50, **params})
        assert response.status_code == 200, response.content
        return response.json(), captured

    OrderFactory.create_batch(3, client=client)
    manager_api.get("/api/v1/orders/")  # warm up the token and content types
    few, few_queries = list_orders()
    OrderFactory.create_batch(55, client=client)
    OrderFactory.create_batch(2)
    many, many_queries = list_orders()
    filtered, _ = list_orders(client=client.pk)

    assert (few["count"], many["count"], filtered["count"]) == (3, 60, 58)
    assert (len(few["results"]), len(many["results"])) == (3, 50)
    assert count_queries_on(few_queries, ORDERS) == []
    assert count_queries_on(many_queries, ORDERS) == []
    assert len(few_queries) == len(many_queries)


def test_stock_movement_list_answers_the_exact_count(manager_api):
    ProductFactory.create_batch(4, stock=3)

    with CaptureQueriesContext(connection) as captured:
        body = manager_api.get("/api/v1/stock-movements/").json()

    assert body["count"] == real(MOVEMENTS) == counted(MOVEMENTS) == 4
    assert count_queries_on(captured, MOVEMENTS) == []


def test_product_list_answers_the_exact_count_without_counting(manager_api):
    ProductFactory.create_batch(3)

    with CaptureQueriesContext(connection) as captured:
        body = manager_api.get("/api/v1/products/").json()

    assert body["count"] == real(PRODUCTS) == counted(PRODUCTS) == 3
    assert count_queries_on(captured, PRODUCTS) == []


def test_order_changelist_reads_the_counter():
    OrderFactory.create_batch(4)
    browser = Client()
    browser.force_login(UserFactory(is_superuser=True, is_staff=True))

    with CaptureQueriesContext(connection) as captured:
        response = browser.get(reverse("admin:sales_order_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 4
    assert count_queries_on(captured, ORDERS) == []
