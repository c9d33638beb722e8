"""Seed a demo store, or wipe the store to start over.

The demo is planned in memory (``plan``), then written either through the
services (``with_services``, the default) or, for large demos on PostgreSQL,
with COPY (``with_copy``). Categories, staff and the demo logins always go
through the services.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Category, Product, Supplier, TaxClass
from catalog.services import (
    RateSpec,
    category_create,
    tax_class_create,
    tax_class_update,
)
from customers.models import Client
from inventory.models import Location, StockLevel, StockMovement, Transfer, TransferLine
from inventory.services import (
    TransferLineSpec,
    location_create,
    location_default,
    transfer_create,
    transfer_transition,
)
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from sales.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Return,
    ReturnLine,
    ReturnReason,
)
from sales.returns import ReturnLineSpec, return_create
from staff.models import Employee
from staff.services import employee_create
from store_project.db.counts import counted_at_the_end

from .clock import simulated_clock
from .plan import ROLES, Plan, Sizes, build_plan, to_datetime
from .progress import ProgressBar, no_progress
from .purchasing import seed_purchasing
from .with_copy import write_with_copy
from .with_services import write_with_services

# Demo logins carry an address on this reserved domain, which is how
# ``flush_store`` tells them from real accounts with the same username.
DEMO_EMAIL_DOMAIN = "store.example"
# Above this many orders on PostgreSQL, COPY is used unless told otherwise.
BULK_THRESHOLD = 2000
# Advisory lock key that serializes concurrent seeding runs ("seed" in ASCII).
_SEED_LOCK = 0x73656564


class DemoRefused(Exception):
    """The demo cannot be seeded here (groups missing, COPY without PostgreSQL)."""


@dataclass
class SeedResult:
    seeded: bool
    seed: int | None = None
    method: str = ""
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    # (username, role, created now) for each demo login.
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    # The generated password, when this run created logins without one given.
    generated_password: str | None = None


def store_counts() -> dict[str, int]:
    return {
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "clients": Client.objects.count(),
        "employees": Employee.objects.count(),
        "orders": Order.objects.count(),
        "order lines": OrderLine.objects.count(),
        "status changes": OrderStatusChange.objects.count(),
        "stock movements": StockMovement.objects.count(),
        "suppliers": Supplier.objects.count(),
        "purchase orders": PurchaseOrder.objects.count(),
        "returns": Return.objects.count(),
    }


def store_has_data() -> bool:
    """The demo is only seeded into a store with no catalog, clients or orders."""
    return any(model.objects.exists() for model in (Category, Product, Client, Order))


def seed_demo(
    *,
    sizes: Sizes | None = None,
    seed: int | None = None,
    password: str | None = None,
    bulk: bool | None = None,
    now: datetime | None = None,
    progress: Callable[[str, int], ProgressBar] = no_progress,
    discounted: float = 0.125,
) -> SeedResult:
    """Create the demo store, unless the store already has data.

    Running it again is harmless: a store that has categories, products,
    clients or orders is left alone (``flush_store`` first to start over).
    The same ``seed`` and ``now`` give the same store. ``bulk`` chooses the
    COPY writer; ``None`` picks it for large demos. ``discounted`` is the
    share of orders with a discount.
    """
    sizes = sizes or Sizes()
    if problems := sizes.problems():
        raise ValueError("; ".join(problems))
    if store_has_data():
        return SeedResult(seeded=False, counts=store_counts())
    if bulk is None:
        bulk = sizes.orders >= BULK_THRESHOLD
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLES)}
    if missing := sorted(set(ROLES) - set(groups)):
        raise DemoRefused(f"Role groups {missing} are missing; run migrate first.")
    if taken := _real_accounts_with_demo_usernames():
        raise DemoRefused(
            f"Users {taken} exist and are not demo logins (their e-mail is not "
            f"@{DEMO_EMAIL_DOMAIN}); the demo will not take them over. Rename "
            "them, or seed another database."
        )

    started = time.monotonic()
    seed = secrets.randbelow(2**31) if seed is None else seed
    plan = build_plan(
        sizes=sizes,
        seed=seed,
        now=now or timezone.now(),
        progress=progress,
        discounted=discounted,
    )
    generated = None if password else secrets.token_urlsafe(12)
    with transaction.atomic():
        # Two runs at once (two `make run`s) must not both seed: take a lock,
        # then look again.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEED_LOCK])
        if store_has_data():
            return SeedResult(seeded=False, counts=store_counts())
        with counted_at_the_end():
            if not Location.objects.filter(is_default=True).exists():
                # A store whose tables were emptied (not through migrate).
                location_create(code="MAIN", name="Main store", is_default=True)
            users, logins = _logins(groups, password or generated)
            categories, employees = _categories_and_staff(plan, users)
            write = write_with_copy if bulk else write_with_services
            write(
                plan,
                categories=categories,
                tax_classes=_tax_classes(plan),
                employees=employees,
                users=users,
                progress=progress,
            )
            _returns(plan, users)
            if sizes.locations > 1:
                _more_locations(plan, users, MORE_LOCATIONS[: sizes.locations - 1])
            if sizes.suppliers:
                seed_purchasing(plan, users, suppliers=sizes.suppliers)
    return SeedResult(
        seeded=True,
        seed=seed,
        method="copy" if bulk else "services",
        seconds=time.monotonic() - started,
        counts=store_counts(),
        statuses=plan.status_counts(),
        logins=logins,
        generated_password=(
            generated if any(created for *_, created in logins) else None
        ),
    )


def _demo_accounts():
    return get_user_model().objects.filter(
        username__in=ROLES, email__iendswith=f"@{DEMO_EMAIL_DOMAIN}"
    )


def _real_accounts_with_demo_usernames() -> list[str]:
    return sorted(
        get_user_model()
        .objects.filter(username__in=ROLES)
        .exclude(pk__in=_demo_accounts().values("pk"))
        .values_list("username", flat=True)
    )


def _logins(groups, password):
    """The manager, clerk and warehouse logins; existing ones keep their password."""
    User = get_user_model()
    users, logins = {}, []
    hashed = None
    for role in ROLES:
        user = User.objects.filter(username=role).first()
        created = user is None
        if created:
            # One slow hash, not three: the demo logins share their password.
            hashed = hashed or make_password(password)
            user = User.objects.create_user(
                username=role, email=f"{role}@{DEMO_EMAIL_DOMAIN}", is_staff=True
            )
            user.password = hashed
            user.save(update_fields=["password"])
        elif not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(groups[role])
        users[role] = user
        logins.append((role, role, created))
    return users, logins


# One delivered order in this many comes back, in part or whole.
RETURNED_EVERY = 5


def _returns(plan: Plan, users) -> None:
    """Returns of some delivered orders, through the service, a few days after
    each delivery (whichever writer wrote the orders, the same returns):
    whole and partial, restocked and written off, one order returned twice."""
    clerk = users["clerk"]
    delivered = Order.objects.filter(status=OrderStatus.DELIVERED).order_by(
        "delivered_at", "created_at", "client__email"
    )
    ids = list(delivered.values_list("pk", flat=True))[::RETURNED_EVERY]
    # In batches: one IN list of a bulk store's orders would pass PostgreSQL's
    # 65,535 parameters.
    chosen = []
    for start in range(0, len(ids), 5000):
        batch = ids[start : start + 5000]
        found = Order.objects.filter(pk__in=batch).prefetch_related("lines")
        by_id = {order.pk: order for order in found}
        chosen += [by_id[pk] for pk in batch]
    with simulated_clock() as clock:
        for number, order in enumerate(chosen):
            lines = list(order.lines.all())
            when = min(order.delivered_at + timedelta(days=3), to_datetime(plan.now))
            clock.set(when)
            pattern = number % 4
            if pattern == 0:  # everything back, on the shelf again
                specs = [
                    ReturnLineSpec(line.product_id, line.quantity, True, "unwanted")
                    for line in lines
                ]
            elif pattern == 1:  # part of one line, defective: restocked anyway
                first = lines[0]
                specs = [
                    ReturnLineSpec(
                        first.product_id,
                        max(1, first.quantity // 2),
                        True,
                        ReturnReason.DEFECTIVE,
                    )
                ]
            else:  # one unit broken in transit: written off
                first = lines[0]
                specs = [
                    ReturnLineSpec(first.product_id, 1, False, ReturnReason.DAMAGED)
                ]
            return_create(order_id=order.pk, lines=specs, by=clerk, note="")
            if pattern == 3:
                # The rest of the order follows a day later, the last cents
                # of each line refunded exactly.
                clock.set(min(when + timedelta(days=1), to_datetime(plan.now)))
                rest = [
                    ReturnLineSpec(
                        line.product_id,
                        line.quantity - (1 if line is lines[0] else 0),
                        True,
                        ReturnReason.WRONG_ITEM,
                    )
                    for line in lines
                    if line.quantity - (1 if line is lines[0] else 0) > 0
                ]
                if rest:
                    return_create(order_id=order.pk, lines=rest, by=clerk)


# The demo's other locations, and the transfers that stocked them.
MORE_LOCATIONS = [
    ("NORTH", "North store", "store"),
    ("DEPOT", "Depot", "warehouse"),
]


def _more_locations(plan: Plan, users, more) -> None:
    """A second store and a warehouse, stocked from MAIN by transfers in each
    status, through the services, at the end of the plan's history (the same
    store whichever writer wrote the plan)."""
    keeper = users["warehouse"]
    with simulated_clock() as clock:
        clock.set(to_datetime(plan.now))
        main = location_default()
        others = [
            location_create(code=code, name=name, kind=kind)
            for code, name, kind in more
        ]
        north, depot = others[0], others[-1]
        stocked = list(
            StockLevel.objects.filter(location=main, on_hand__gte=8)
            .select_related("product")
            .order_by("product__sku", "product_id")[:9]
        )

        def send(levels, destination, *steps):
            transfer = transfer_create(
                from_location=main,
                to_location=destination,
                lines=[TransferLineSpec(lv.product, lv.on_hand // 4) for lv in levels],
                notes="Opening stock of the new location",
                by=keeper,
            )
            for step in steps:
                transfer_transition(transfer_id=transfer.pk, action=step, by=keeper)

        send(stocked[0:3], north, "ship", "receive")
        send(stocked[3:6], depot, "ship", "receive")
        send(stocked[6:8], north, "ship")  # in transit
        send(stocked[8:9], depot)  # a draft
        send(stocked[0:1], depot, "cancel")


def _categories_and_staff(plan: Plan, users):
    with simulated_clock() as clock:
        clock.set(to_datetime(plan.catalog_opened_at))
        categories = [category_create(name=name) for name in plan.categories]
        employees = []
        for planned in plan.employees:
            user = users.get(planned.role) if planned.role else None
            existing = getattr(user, "employee", None) if user else None
            employees.append(
                existing
                or employee_create(
                    name=planned.name, position=planned.position, user=user
                )
            )
    return categories, employees


def _tax_classes(plan: Plan) -> list[TaxClass]:
    """The plan's tax classes with exactly its rates, made or brought up to date.

    The plan computed its orders' taxes from these rates, so an existing
    class of the same name (an earlier demo, flushed) is given them again.
    """
    classes = []
    for name, rates in plan.tax_classes:
        specs = [RateSpec(name=n, rate=Decimal(rate)) for n, rate in rates]
        existing = TaxClass.objects.filter(name__iexact=name).first()
        if existing is None:
            classes.append(tax_class_create(name=name, rates=specs))
        else:
            classes.append(tax_class_update(tax_class=existing, rates=specs))
    return classes


def flush_store() -> dict[str, int]:
    """Delete every order, ledger row, purchase order, product, supplier,
    category, client and employee.

    Also deletes the demo logins (and nothing else of ``auth``). Returns what
    was there before. On PostgreSQL one TRUNCATE does it in milliseconds,
    whatever the size; it fails, rather than cascading, if some other table
    still refers to these.
    """
    before = store_counts()
    models = [
        ReturnLine,
        Return,
        OrderStatusChange,
        OrderLine,
        Order,
        StockMovement,
        TransferLine,
        Transfer,
        PurchaseOrderLine,
        PurchaseOrder,
        StockLevel,
        Product,
        Supplier,
        Category,
        Client,
        Employee.locations.through,
        Employee,
    ]
    with transaction.atomic():
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            # TRUNCATE refuses tables with key checks still queued in this
            # transaction: run those first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Nothing refers to the locations now; the default one stays.
        Location.objects.exclude(is_default=True).delete()
        _demo_accounts().delete()
    return before
