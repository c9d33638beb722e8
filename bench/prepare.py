"""The bench's database work, run under the store's own settings.

``python -m bench.prepare COMMAND WORKDIR`` with the store's environment:

- ``store``: seed a realistic store (2,000 products, 1,000 clients, 20,000
  orders) and the bench login; write ``WORKDIR/state.json`` and the id files
  the wrk scripts read.
- ``reports-store``: seed the reports' store (100,000 orders, in a database
  of its own) and a manager login; write ``WORKDIR/state-reports.json``.
- ``pools ROUNDS SECONDS``: draft orders for the confirmation runs (one hot
  product, one hot product at two locations, and many products over two
  locations, a set of drafts per round; and a last-units
  product for the oversell check).
- ``queries``: SQL queries per request of each measured endpoint.
- ``check POOL [ROUND]``: the ledger after a confirmation run, as JSON.
- ``import file`` / ``import check``: a CSV file of ``IMPORT_ROWS`` new
  products (``WORKDIR/products-import.csv``) and a manager's token to import
  it with; then what the import wrote, as JSON.
- ``webhook subscribe URL`` / ``webhook deliveries`` / ``webhook unsubscribe``:
  a webhook on ``order.confirmed`` for the confirmations with a subscriber,
  and the state of its deliveries after the worker's run, as JSON.

The bench runs ``VACUUM ANALYZE`` itself after each of these that writes.

Draft orders for the confirmation pools are bulk-inserted: tens of thousands
through ``order_create`` would take minutes, and a draft with its lines and its
total is all that service writes (no stock, no ledger). Every stock change
goes through ``inventory.services``, so the ledger stays exact.
"""

import json
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "store_project.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, OuterRef, Subquery, Sum  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from catalog import services as catalog_services  # noqa: E402
from catalog.models import Category, Product, TaxClass  # noqa: E402
from catalog.selectors import tax_rates_by_product  # noqa: E402
from customers.models import Client  # noqa: E402
from integrations.models import Delivery, Webhook  # noqa: E402
from inventory import services as inventory_services  # noqa: E402
from inventory.models import Location, StockLevel, StockMovement  # noqa: E402
from inventory.selectors import products_with_stock  # noqa: E402
from sales import money  # noqa: E402
from sales.models import Order, OrderLine  # noqa: E402

PRODUCTS, CLIENTS, ORDERS = 2000, 1000, 20000
BENCH_USER = "bench-clerk"
LINES_PER_ORDER = 3
LAST_UNITS = 25  # stock of the oversell check's product
LAST_UNITS_ORDERS = 100  # drafts competing for those units
SEED = 11
IMPORT_ROWS = 10_000
IMPORT_SKU_PREFIX = "BENCH-IMPORT-"
IMPORT_USER = "bench-manager"


def main(argv: list[str]) -> int:
    command, workdir = argv[1], Path(argv[2])
    if command == "store":
        state = seed_store()
        state |= bench_login()
        state |= write_id_files(workdir)
        _save(workdir / "state.json", state)
    elif command == "reports-store":
        _save(workdir / "state-reports.json", reports_store())
    elif command == "pools":
        rounds, seconds = int(argv[3]), float(argv[4])
        _save(workdir / "pools.json", confirmation_pools(workdir, rounds, seconds))
    elif command == "queries":
        print(json.dumps(queries_per_request(workdir)))
    elif command == "check":
        round_ = int(argv[4]) if len(argv) > 4 else None
        print(json.dumps(ledger_check(workdir, argv[3], round_)))
    elif command == "webhook":
        print(json.dumps(webhook(argv[3], *argv[4:])))
    elif command == "import":
        print(json.dumps(product_import(workdir, argv[3])))
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


def _save(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


# --- The store -----------------------------------------------------------------


def seed_store() -> dict:
    """The demo seeder when the project has it, else a plain bulk store."""
    try:
        from sales.seeding.demo import seed_demo
        from sales.seeding.plan import Sizes
    except ImportError:
        return _bulk_store()
    result = seed_demo(
        sizes=Sizes(
            categories=12,
            products=PRODUCTS,
            clients=CLIENTS,
            employees=12,
            orders=ORDERS,
            months=24,
        ),
        seed=SEED,
        password=os.urandom(12).hex(),
        bulk=True,
        # Every order of the bench carries a discount (and most products
        # the demo's two Quebec rates), the heaviest money an order has.
        discounted=1.0,
    )
    return {"seeded_by": "sales.seeding.demo.seed_demo", "counts": result.counts}


@transaction.atomic
def _bulk_store() -> dict:
    """Products, clients and draft orders with lines, when no seeder exists."""
    rng = random.Random(SEED)
    categories = [
        catalog_services.category_create(name=f"Bench {i}") for i in range(12)
    ]
    products = Product.objects.bulk_create(
        Product(
            category=rng.choice(categories),
            name=f"Product {i:04d}",
            sku=f"B-{i:05d}",
            description="A product of the benchmark store.",
            unit_price=Decimal(rng.randint(100, 50000)) / 100,
            reorder_level=rng.randint(0, 20),
        )
        for i in range(PRODUCTS)
    )
    _stock_apply(
        changes={p.pk: rng.randint(50, 500) for p in products}, reason="initial"
    )
    clients = Client.objects.bulk_create(
        Client(name=f"Client {i}", email=f"client{i}@bench.example")
        for i in range(CLIENTS)
    )
    _bulk_drafts(rng, clients, products, ORDERS, LINES_PER_ORDER)
    return {"seeded_by": "bench.prepare (bulk drafts)"}


# The discount of every bench order, as the create requests send it too.
DISCOUNT = money.Discount(money.PERCENT, Decimal("10.00"), "Bench")


def _bulk_drafts(
    rng, clients, products, count: int, lines: int, locations=None
) -> list[int]:
    """Insert ``count`` draft orders of ``lines`` distinct products each, at
    ``locations`` in turn (the default location unless given).

    Each with ``DISCOUNT`` and its products' tax rates; the amounts are
    ``sales.money``'s, as ``order_create`` would store them.
    """
    rates = {
        pk: tuple(money.Rate(name, rate) for name, rate in pairs)
        for pk, pairs in tax_rates_by_product(products=products).items()
    }
    picks = [rng.sample(products, lines) for _ in range(count)]
    locations = locations or [inventory_services.location_default()]
    figures = [
        money.order_money(
            [money.Line(1, p.unit_price, rates[p.pk]) for p in chosen], DISCOUNT
        )
        for chosen in picks
    ]
    orders = Order.objects.bulk_create(
        Order(
            client=rng.choice(clients),
            location=locations[n % len(locations)],
            discount_kind=DISCOUNT.kind,
            discount_value=DISCOUNT.value,
            discount_reason=DISCOUNT.reason,
            subtotal=result.subtotal,
            discount_total=result.discount_total,
            tax_total=result.tax_total,
            total_amount=result.total_amount,
        )
        for n, result in enumerate(figures)
    )
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=order,
                product=p,
                quantity=1,
                unit_price=p.unit_price,
                discount_amount=line.discount_amount,
                net_amount=line.net_amount,
                taxes=[
                    {
                        "name": tax.name,
                        "rate": money.rate_text(tax.rate),
                        "amount": money.amount_text(tax.amount),
                    }
                    for tax in line.taxes
                ],
                tax_amount=line.tax_amount,
            )
            for order, chosen, result in zip(orders, picks, figures, strict=True)
            for p, line in zip(chosen, result.lines, strict=True)
        ),
        batch_size=5000,
    )
    return [order.pk for order in orders]


REPORT_ORDERS = 100_000
REPORT_USER = "bench-manager"


def reports_store() -> dict:
    """The reports' store: the demo's bulk seeder, 100,000 orders over two
    years, and a manager (the reports are theirs) with a token."""
    import datetime

    from reports.selectors import store_today
    from sales.seeding.demo import seed_demo
    from sales.seeding.plan import Sizes

    result = seed_demo(
        sizes=Sizes(
            categories=12,
            products=PRODUCTS,
            clients=CLIENTS * 5,
            employees=12,
            orders=REPORT_ORDERS,
            months=24,
        ),
        seed=SEED,
        password=os.urandom(12).hex(),
        bulk=True,
    )
    user, _ = get_user_model().objects.get_or_create(username=REPORT_USER)
    user.groups.add(Group.objects.get(name="manager"))
    token, _ = Token.objects.get_or_create(user=user)
    today = store_today()
    return {
        "token": token.key,
        "counts": result.counts,
        "order_lines": OrderLine.objects.count(),
        "today": today.isoformat(),
        "year_from": (today - datetime.timedelta(days=364)).isoformat(),
        "month_from": (today - datetime.timedelta(days=29)).isoformat(),
    }


def bench_login() -> dict:
    """A clerk (reads everything, writes and confirms orders) with a token."""
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    user.groups.add(Group.objects.get(name="clerk"))
    token, _ = Token.objects.get_or_create(user=user)
    return {"user": BENCH_USER, "token": token.key}


def write_id_files(workdir: Path) -> dict:
    """Active products and clients, for the draft-creation script."""
    products = list(
        Product.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    (workdir / "products.txt").write_text("\n".join(map(str, products)) + "\n")
    (workdir / "clients.txt").write_text("\n".join(map(str, clients)) + "\n")
    # Creating drafts takes no stock, but keep their products far from short.
    return {"active_products": len(products), "clients": len(clients)}


# --- Confirmation pools --------------------------------------------------------


# The fastest confirmation rate a round is sized for; a faster run says the
# pool ran out, and this goes up.
POOL_RATE = 1200


def confirmation_pools(workdir: Path, rounds: int, seconds: float) -> dict:
    """Drafts to confirm, a set per round of ``seconds`` at ``POOL_RATE``/s."""
    rng = random.Random(SEED + 1)
    round_size = int(POOL_RATE * seconds)
    size = round_size * rounds
    clients = list(Client.objects.all()[:200])
    active = list(Product.objects.filter(is_active=True).order_by("pk"))
    category = Category.objects.order_by("pk").first()
    pools = {}
    with transaction.atomic():
        # The demo's two-rate class, when the store has it.
        two_rates = TaxClass.objects.filter(name__startswith="Quebec").first()
        hot = catalog_services.product_create(
            category=category,
            name="Bench hot product",
            unit_price=Decimal("9.99"),
            tax_class=two_rates,
        )
        _stock_apply(changes={hot.pk: size}, reason="restock")
        pools["hot"] = {
            "orders": _bulk_drafts(rng, clients, [hot], size, 1),
            "products": [hot.pk],
        }
        # The same, confirmed while a webhook subscribes to order.confirmed.
        hot_too = catalog_services.product_create(
            category=category,
            name="Bench hot product 2",
            unit_price=Decimal("9.99"),
            tax_class=two_rates,
        )
        _stock_apply(changes={hot_too.pk: size}, reason="restock")
        pools["hot-webhook"] = {
            "orders": _bulk_drafts(rng, clients, [hot_too], size, 1),
            "products": [hot_too.pk],
        }
        # One hot product at two locations: each confirmation locks the
        # product's stock level at its order's location only, so the two
        # halves of the pool never wait for each other.
        both = [inventory_services.location_default(), _second_location()]
        hot2 = catalog_services.product_create(
            category=category,
            name="Bench hot product at two locations",
            unit_price=Decimal("9.99"),
            tax_class=two_rates,
        )
        for location in both:
            _stock_apply(changes={hot2.pk: size}, reason="restock", at=location)
        pools["hot2"] = {
            "orders": _bulk_drafts(rng, clients, [hot2], size, 1, both),
            "products": [hot2.pk],
        }
        # Orders spread over two locations, each stocked for all of them.
        many = active
        for location in both:
            _stock_apply(
                changes={p.pk: size for p in many}, reason="restock", at=location
            )
        pools["many"] = {
            "orders": _bulk_drafts(rng, clients, many, size, LINES_PER_ORDER, both),
            "products": [p.pk for p in many],
        }
        last = inventory_services.product_create(
            category=category,
            name="Bench last units",
            unit_price=Decimal("4.99"),
            stock=LAST_UNITS,
            tax_class=two_rates,
        )
        pools["last_units"] = {
            "orders": _bulk_drafts(rng, clients, [last], LAST_UNITS_ORDERS, 1),
            "products": [last.pk],
        }
    for name, pool in pools.items():
        orders = pool["orders"]
        if name == "last_units":
            pool["rounds"] = [orders]
        else:
            pool["rounds"] = [
                orders[i : i + round_size] for i in range(0, size, round_size)
            ]
        for index, ids in enumerate(pool["rounds"]):
            (workdir / f"pool-{name}-{index}.txt").write_text(
                "\n".join(map(str, ids)) + "\n"
            )
        pool["stock_before"] = dict(
            products_with_stock()
            .filter(pk__in=pool["products"])
            .values_list("pk", "stock")
        )
        pool["size"] = len(orders)
        pool["round_size"] = len(pool["rounds"][0])
    return pools


def _stock_apply(*, at=None, **kwargs) -> None:
    """A stock change at ``at``, the default location unless given."""
    location = at or inventory_services.location_default()
    inventory_services.stock_apply(location_id=location.pk, **kwargs)


def _second_location():
    """The bench's second store (made once, through the service)."""
    existing = Location.objects.filter(code="BENCH-2").first()
    return existing or inventory_services.location_create(
        code="BENCH-2", name="Bench second store"
    )


def ledger_check(workdir: Path, pool_name: str, round_: int | None = None) -> dict:
    """After a run: nothing below zero, stock = ledger, taken = confirmed.

    Over the whole pool (every round so far); ``confirmed_this_round`` counts
    the confirmed drafts of round ``round_`` alone.
    """
    pool = _load(workdir / "pools.json")[pool_name]
    ledger = (
        StockMovement.objects.filter(
            product=OuterRef("product"), location=OuterRef("location")
        )
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    mismatched = StockLevel.objects.exclude(
        on_hand=Coalesce(Subquery(ledger), 0)
    ).count()
    negative = StockLevel.objects.filter(on_hand__lt=0).count()
    orders = Order.objects.filter(pk__in=pool["orders"])
    confirmed = orders.filter(status="confirmed").count()
    this_round = None
    if round_ is not None:
        this_round = Order.objects.filter(
            pk__in=pool["rounds"][round_], status="confirmed"
        ).count()
    ordered = (
        OrderLine.objects.filter(order__in=orders, order__status="confirmed").aggregate(
            n=Sum("quantity")
        )["n"]
        or 0
    )
    sold = -(
        StockMovement.objects.filter(
            order_id__in=pool["orders"], reason="sale"
        ).aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    before = {int(k): v for k, v in pool["stock_before"].items()}
    after = dict(products_with_stock().filter(pk__in=before).values_list("pk", "stock"))
    stock_taken = sum(before[pk] - after[pk] for pk in before)
    # More units confirmed than the products held: the oversell a race would cause.
    oversold = max(0, ordered - sum(before.values())) + negative
    return {
        "confirmed": confirmed,
        "confirmed_this_round": this_round,
        "units_ordered": ordered,
        "units_sold_in_ledger": sold,
        "stock_taken": stock_taken,
        "negative_stock_products": negative,
        "products_stock_not_ledger": mismatched,
        "oversold": oversold,
        "exact": mismatched == 0
        and negative == 0
        and ordered == sold == stock_taken
        and oversold == 0,
    }


# --- Webhooks ------------------------------------------------------------------


def webhook(action: str, *args: str) -> dict:
    if action == "subscribe":
        # Straight to the table: the bench's receiver is on 127.0.0.1, which
        # the service refuses under prod settings; the outbox is what is
        # measured here, not the subscription.
        Webhook.objects.create(
            url=args[0], events=["order.confirmed"], secret="bench-secret-" + "x" * 20
        )
        return {"webhooks": Webhook.objects.filter(is_active=True).count()}
    if action == "unsubscribe":
        return {"deactivated": Webhook.objects.update(is_active=False)}
    if action == "deliveries":
        by_status = dict(Delivery.objects.values_list("status").annotate(n=Count("id")))
        attempts = Delivery.objects.aggregate(n=Sum("attempts"))["n"] or 0
        return {"by_status": by_status, "attempts": attempts}
    raise SystemExit(f"unknown webhook action {action!r}")


# --- Product import ------------------------------------------------------------


def import_file_text(rows: int = IMPORT_ROWS) -> str:
    """New products, a tenth of them in categories the store lacks, most
    with an opening stock: every part of an import's write path is taken."""
    header = "sku,name,description,unit_price,category,reorder_level,is_active,stock"
    categories = list(Category.objects.values_list("name", flat=True)[:20])
    categories += [f"Imported category {n}" for n in range(len(categories) // 10 + 2)]
    lines = [header]
    for n in range(rows):
        lines.append(
            f"{IMPORT_SKU_PREFIX}{n:05d},Imported product {n},"
            f'"Line one of {n}\nline two, with a comma",{n % 900 + 1}.{n % 100:02d},'
            f"{categories[n % len(categories)]},{n % 7},true,{n % 25}"
        )
    return "\n".join(lines) + "\n"


def product_import(workdir: Path, action: str) -> dict:
    path = workdir / "products-import.csv"
    if action == "file":
        path.write_text(import_file_text(), encoding="utf-8")
        user, _ = get_user_model().objects.get_or_create(username=IMPORT_USER)
        user.groups.add(Group.objects.get(name="manager"))
        token, _ = Token.objects.get_or_create(user=user)
        return {"path": str(path), "rows": IMPORT_ROWS, "token": token.key}
    if action == "check":
        imported = Product.objects.filter(sku__startswith=IMPORT_SKU_PREFIX)
        stock = (
            StockMovement.objects.filter(
                product__in=imported, reason="initial"
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        levels = (
            StockLevel.objects.filter(product__in=imported).aggregate(n=Sum("on_hand"))[
                "n"
            ]
            or 0
        )
        expected = sum(n % 25 for n in range(IMPORT_ROWS))
        return {
            "products": imported.count(),
            "stock": levels,
            "exact": stock == levels == expected,
        }
    raise SystemExit(f"unknown import action {action!r}")


# --- Queries per request -------------------------------------------------------


def queries_per_request(workdir: Path) -> dict:
    """Run each measured request once in-process and count its SQL queries."""
    state = _load(workdir / "state.json")
    # As from the load balancer: TLS ends there (SECURE_SSL_REDIRECT is on).
    http = HttpClient(
        HTTP_AUTHORIZATION=f"Token {state['token']}", HTTP_X_FORWARDED_PROTO="https"
    )
    products = [int(x) for x in (workdir / "products.txt").read_text().split()]
    client_id = int((workdir / "clients.txt").read_text().split()[0])
    spare = _bulk_drafts(
        random.Random(SEED + 2),
        list(Client.objects.filter(pk=client_id)),
        list(Product.objects.filter(pk__in=products[:LINES_PER_ORDER])),
        1,
        LINES_PER_ORDER,
    )[0]
    _stock_apply(changes=dict.fromkeys(products[:LINES_PER_ORDER], 1), reason="restock")
    body = {
        "client": client_id,
        "lines": [{"product": p, "quantity": 1} for p in products[:LINES_PER_ORDER]],
        "discount": {"kind": "percent", "value": "10.00", "reason": "Bench"},
    }
    requests = {
        "products": lambda: http.get("/api/v1/products/?page_size=50"),
        "orders": lambda: http.get("/api/v1/orders/?page_size=50"),
        "reorder": lambda: http.get("/api/v1/reorder-suggestions/?cover_days=14"),
        "create": lambda: http.post(
            "/api/v1/orders/", json.dumps(body), content_type="application/json"
        ),
        "confirm": lambda: http.post(f"/api/v1/orders/{spare}/confirm/"),
    }
    counts = {}
    for name, send in requests.items():
        if name in {"products", "orders", "reorder"}:
            send()  # warm caches: measure the steady state
        with CaptureQueriesContext(connection) as captured:
            response = send()
        if response.status_code >= 300:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:300]}")
        counts[name] = len(captured)
    return counts


if __name__ == "__main__":
    sys.exit(main(sys.argv))
