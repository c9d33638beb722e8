"""The demo store as a plan: everything to create, and when, before any write.

``build_plan`` draws the catalog, the clients, the staff and the orders from a
seeded ``random.Random``, then replays the orders' lives in time order while
keeping every product's stock in memory. The replay decides the restocks an
order needs before it can be confirmed, so that writing the plan through the
services never meets ``InsufficientStock``; and it yields the final state
(stock, statuses, timestamps) that the bulk writer inserts directly. Both
writers therefore produce the same store from the same seed.

Times are integers (microseconds since the epoch) so that both writers stamp
exactly the same instants.
"""

import bisect
import heapq
import itertools
import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sales import money

from . import words
from .progress import ProgressBar, no_progress

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Event kinds. Order actions use the names of sales.services.TRANSITIONS.
CREATE = "create"
ADJUST = "adjust"
CONFIRM, SHIP, DELIVER, CANCEL = "confirm", "ship", "deliver", "cancel"
ROLES = ("manager", "clerk", "warehouse")
STATUSES = ("draft", "confirmed", "shipped", "delivered", "cancelled")
# The action that leads to each status, and the actions on the way there.
_PATHS = {
    "draft": (),
    "confirmed": (CONFIRM,),
    "shipped": (CONFIRM, SHIP),
    "delivered": (CONFIRM, SHIP, DELIVER),
}


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class Sizes:
    """How big a store to make. The defaults seed in a few seconds."""

    categories: int = 8
    products: int = 60
    clients: int = 40
    employees: int = 6
    orders: int = 200
    months: int = 6
    # MAIN, then a second store and a warehouse stocked by transfers.
    locations: int = 3
    # Active suppliers the products are bought from (seeding.purchasing);
    # 0: no purchasing at all.
    suppliers: int = 3

    def problems(self) -> list[str]:
        found = []
        if not 1 <= self.categories <= len(words.CATEGORIES):
            found.append(f"categories must be between 1 and {len(words.CATEGORIES)}")
        for name in ("products", "clients"):
            if getattr(self, name) < 1:
                found.append(f"{name} must be at least 1")
        if self.employees < len(ROLES):
            found.append(
                f"employees must be at least {len(ROLES)} "
                "(one for each demo login: manager, clerk, warehouse)"
            )
        if self.orders < 0:
            found.append("orders must not be negative")
        if not 1 <= self.months <= 60:
            found.append("months must be between 1 and 60")
        if not 1 <= self.locations <= 3:
            found.append("locations must be between 1 and 3")
        if not 0 <= self.suppliers <= 3:
            found.append("suppliers must be between 0 and 3")
        return found


@dataclass(slots=True)
class PlannedProduct:
    category: int
    sku: str
    name: str
    description: str
    price_cents: int
    reorder_level: int
    opening_stock: int
    created_at: int
    tax_class: int  # an index of Plan.tax_classes
    # Filled in by the replay.
    stock: int = 0
    updated_at: int = 0


@dataclass(slots=True)
class PlannedClient:
    name: str
    email: str
    phone: str
    address: str
    created_at: int


@dataclass(slots=True)
class PlannedEmployee:
    name: str
    position: str
    role: str | None  # the demo login linked to this employee, if any


@dataclass(slots=True)
class PlannedOrder:
    client: int
    employee: int | None
    notes: str
    lines: tuple[tuple[int, int], ...]  # (product index, quantity)
    discount: money.Discount | None
    # Every amount of the order and its lines, as the services compute them.
    money: money.OrderMoney
    created_at: int
    # Filled in by the replay.
    status: str = "draft"
    confirmed_at: int | None = None
    shipped_at: int | None = None
    delivered_at: int | None = None
    cancelled_at: int | None = None
    updated_at: int = 0


# (time, kind, index, detail): ``index`` is an order for CREATE and the
# actions, a product for ADJUST. ``detail`` is the acting role for actions
# and (quantity, reason, note, role) for ADJUST.
Event = tuple[int, str, int, object]


@dataclass
class Plan:
    seed: int
    now: int
    catalog_opened_at: int
    categories: list[str]
    products: list[PlannedProduct]
    clients: list[PlannedClient]
    employees: list[PlannedEmployee]
    orders: list[PlannedOrder]
    events: list[Event] = field(default_factory=list)
    # (name, ((rate name, rate), ...)) of each tax class the products use.
    tax_classes: tuple = words.TAX_CLASSES
    # The share of orders with a discount.
    discounted: float = 0.125

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for order in self.orders:
            counts[order.status] += 1
        return counts


def build_plan(
    *,
    sizes: Sizes,
    seed: int,
    now: datetime,
    progress: Callable[[str, int], ProgressBar] = no_progress,
    discounted: float = 0.125,
) -> Plan:
    """Draw a whole demo store from ``seed``, its history ending at ``now``."""
    rng = random.Random(seed)
    end = to_micros(now)
    start = end - sizes.months * 30 * DAY
    opened = start - 60 * DAY
    plan = Plan(
        seed=seed,
        now=end,
        catalog_opened_at=opened,
        categories=[],
        products=[],
        clients=[],
        employees=[],
        orders=[],
        discounted=discounted,
    )
    kinds = rng.sample(words.CATEGORIES, sizes.categories)
    plan.categories = [name for name, *_ in kinds]
    plan.products = _products(
        rng, kinds, sizes.products, opened, start, plan.tax_classes
    )
    plan.clients = _clients(rng, sizes.clients, start)
    plan.employees = _employees(rng, sizes.employees)
    _orders_and_history(rng, plan, sizes.orders, start, progress)
    return plan


# --- The catalog, the clients, the staff ----------------------------------------


def _products(rng, kinds, count, opened, start, tax_classes) -> list[PlannedProduct]:
    class_index = {name: index for index, (name, _) in enumerate(tax_classes)}
    products = []
    step = (start - opened) // (count + 1)
    for index in range(count):
        name, prefix, (low, high), nouns = kinds[index % len(kinds)]
        noun = rng.choice(nouns)
        adjective = rng.choice(words.ADJECTIVES)
        variant = rng.choice(words.VARIANTS)
        dollars = int(math.exp(rng.uniform(math.log(low), math.log(high))))
        cents = rng.choice((99, 99, 99, 49, 95, 0))
        products.append(
            PlannedProduct(
                category=index % len(kinds),
                sku=f"{prefix}-{index + 1:05d}",
                name=f"{adjective} {noun} {variant}".strip(),
                description=(
                    f"{adjective} {noun} from our {name.lower()} range. "
                    f"{rng.choice(_BLURBS)}"
                ),
                price_cents=max(dollars * 100 + cents, 99),
                reorder_level=rng.choice((0, 5, 10, 10, 15, 20, 25)),
                opening_stock=rng.randint(4, 120),
                created_at=opened + (index + 1) * step,
                tax_class=class_index[words.CATEGORY_TAX_CLASS.get(name, words.QUEBEC)],
            )
        )
    return products


_BLURBS = (
    "A customer favourite.",
    "Made to last.",
    "Designed in Canada.",
    "Ethically sourced.",
    "Great as a gift.",
    "New this season.",
    "Easy to care for.",
    "",
)


def _clients(rng, count, start) -> list[PlannedClient]:
    clients = []
    taken: set[str] = set()
    step = 365 * DAY // (count + 1)
    for index in range(count):
        first = rng.choice(words.FIRST_NAMES)
        last = rng.choice(words.LAST_NAMES)
        local = _ascii(f"{first}.{last}")
        domain = rng.choice(words.EMAIL_DOMAINS)
        email = f"{local}@{domain}"
        serial = 1
        while email in taken:
            serial += 1
            email = f"{local}{serial}@{domain}"
        taken.add(email)
        city, province, postal_letter, area_codes = rng.choice(words.CITIES)
        letters = words.POSTAL_LETTERS
        postal = (
            f"{postal_letter}{rng.randint(0, 9)}{rng.choice(letters)} "
            f"{rng.randint(0, 9)}{rng.choice(letters)}{rng.randint(0, 9)}"
        )
        street = (
            f"{rng.randint(1, 2999)} {rng.choice(words.STREETS)} "
            f"{rng.choice(words.STREET_KINDS)}"
        )
        if rng.random() < 0.2:
            street = f"{rng.randint(1, 40) * 100 + rng.randint(1, 20)}-{street}"
        clients.append(
            PlannedClient(
                name=f"{first} {last}",
                email=email,
                phone=(
                    ""
                    if rng.random() < 0.1
                    else f"+1 {rng.choice(area_codes)}-555-{rng.randint(100, 199):04d}"
                ),
                address=f"{street}\n{city} {province} {postal}",
                created_at=start - 365 * DAY + (index + 1) * step,
            )
        )
    return clients


def _ascii(text: str) -> str:
    """``Chloé.O'Brien`` -> ``chloe.obrien``: e-mail local parts stay plain."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() or c == ".").lower()


def _employees(rng, count) -> list[PlannedEmployee]:
    employees = []
    names: set[str] = set()
    for index in range(count):
        name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
        while name in names:
            name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
        names.add(name)
        role = ROLES[index] if index < len(ROLES) else None
        position = words.POSITIONS[role] if role else rng.choice(words.OTHER_POSITIONS)
        employees.append(PlannedEmployee(name=name, position=position, role=role))
    return employees


# --- Orders and their lives -------------------------------------------------------
#
# The functions below run a few hundred thousand times for a benchmark-sized
# demo, so they draw with ``_Draw`` (one ``random()`` per draw) rather than
# ``randint``/``choices``, which cost several times more.


class _Draw:
    def __init__(self, rng: random.Random):
        self.random = rng.random

    def between(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def below(self, count: int) -> int:
        return int(self.random() * count)

    def weighted(self, values, cumulative):
        return values[bisect.bisect(cumulative, self.random() * cumulative[-1])]

    def chance(self, probability: float) -> bool:
        return self.random() < probability


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


_LINE_COUNTS = (1, 2, 3, 4, 5)
_LINE_COUNT_WEIGHTS = _cumulative((30, 28, 20, 13, 9))
_QUANTITIES = (1, 2, 3, 4, 6)
_QUANTITY_WEIGHTS = _cumulative((62, 22, 9, 5, 2))
# draft, confirmed, shipped, delivered, cancelled
_OLD_ORDER_STATUS_WEIGHTS = _cumulative((3, 1, 1, 84, 11))
_RECENT_ORDER_STATUS_WEIGHTS = _cumulative((12, 18, 22, 38, 10))


def _orders_and_history(rng, plan: Plan, count, start, progress) -> None:
    draw = _Draw(rng)
    products = plan.products
    end = plan.now
    # A few products sell much more than the rest.
    ranks = list(range(len(products)))
    rng.shuffle(ranks)
    popularity = _cumulative(1.0 / (rank + 3) for rank in ranks)
    product_ids = range(len(products))
    sellers = [
        i
        for i, e in enumerate(plan.employees)
        if e.role != "warehouse" and e.position != "Stock clerk"
    ]
    client_count = len(plan.clients)
    loyal = max(1, client_count // 10)
    prices = [cents_to_decimal(p.price_cents) for p in products]
    class_rates = [
        tuple(money.Rate(name, Decimal(rate)) for name, rate in rates)
        for _, rates in plan.tax_classes
    ]
    rates = [class_rates[p.tax_class] for p in products]
    notes = words.ORDER_NOTES
    reasons = words.DISCOUNT_REASONS

    # Business grows: more orders lately (density rising linearly in time).
    span = end - start
    created = sorted(
        min(start + int(span * math.sqrt(draw.random())), end - MINUTE)
        for _ in range(count)
    )
    # Every status appears in any demo of five orders or more.
    forced = {}
    if count >= len(STATUSES):
        chosen = rng.sample(range(count), len(STATUSES))
        forced = dict(zip(chosen, STATUSES, strict=True))

    events: list = []
    orders = plan.orders
    with progress("planning orders", count) as bar:
        for index, created_at in enumerate(created):
            size = draw.weighted(_LINE_COUNTS, _LINE_COUNT_WEIGHTS)
            picked: list[int] = []
            for _ in range(size):
                product = draw.weighted(product_ids, popularity)
                if product not in picked:
                    picked.append(product)
            lines = tuple(
                (product, draw.weighted(_QUANTITIES, _QUANTITY_WEIGHTS))
                for product in picked
            )
            client = draw.below(loyal if draw.chance(0.3) else client_count)
            seller = sellers[draw.below(len(sellers))] if draw.chance(0.85) else None
            priced = [money.Line(q, prices[p], rates[p]) for p, q in lines]
            discount = _discount(draw, priced, reasons, plan.discounted)
            orders.append(
                PlannedOrder(
                    client=client,
                    employee=seller,
                    notes=notes[draw.below(len(notes))] if draw.chance(0.15) else "",
                    lines=lines,
                    discount=discount,
                    money=money.order_money(priced, discount),
                    created_at=created_at,
                )
            )
            status = forced.get(index) or draw.weighted(
                STATUSES,
                _OLD_ORDER_STATUS_WEIGHTS
                if end - created_at > 14 * DAY
                else _RECENT_ORDER_STATUS_WEIGHTS,
            )
            events.append((created_at, len(events), CREATE, index, None))
            for when, action, role in _life(draw, status, created_at, end):
                events.append((when, len(events), action, index, role))
            bar.advance()
    _sprinkle_adjustments(draw, plan, events, start)
    _replay(draw, plan, events)


_PERCENTS = (Decimal(5), Decimal(10), Decimal(15), Decimal("12.5"), Decimal(20))
_AMOUNTS = (Decimal("5.00"), Decimal("10.00"), Decimal("2.50"), Decimal("25.00"))


def _discount(draw: _Draw, lines, reasons, share) -> money.Discount | None:
    """A discount on ``share`` of the orders: mostly percents, some amounts."""
    if not draw.chance(share):
        return None
    reason = reasons[draw.below(len(reasons))]
    if draw.chance(0.7):
        return money.Discount(
            money.PERCENT, _PERCENTS[draw.below(len(_PERCENTS))], reason
        )
    amount = _AMOUNTS[draw.below(len(_AMOUNTS))]
    subtotal = sum(line.quantity * line.unit_price for line in lines)
    return money.Discount(money.AMOUNT, min(amount, subtotal), reason)


def _life(draw: _Draw, status, created_at, end) -> list[tuple[int, str, str]]:
    """The actions that take a new draft to ``status``, each at a time."""
    if status == "cancelled":
        actions = (CONFIRM, CANCEL) if draw.chance(0.6) else (CANCEL,)
    else:
        actions = _PATHS[status]
    if not actions:
        return []
    delays = [_delay(draw, action, len(actions)) for action in actions]
    # Squeeze a life that would reach past now into the time left.
    available = end - created_at - 1
    total = sum(delays)
    if total > available:
        scale = available * (0.3 + 0.65 * draw.random()) / total
        delays = [max(1, int(d * scale)) for d in delays]
    life, when = [], created_at
    for action, delay in zip(actions, delays, strict=True):
        when += delay
        life.append((when, action, _actor(draw, action)))
    return life


def _delay(draw: _Draw, action, steps: int) -> int:
    if action == CONFIRM:
        return draw.between(2 * MINUTE, 8 * HOUR)
    if action == SHIP:
        return draw.between(4 * HOUR, 3 * DAY)
    if action == DELIVER:
        return draw.between(1 * DAY, 6 * DAY)
    # Cancel: a forgotten draft goes later than a change of mind.
    if steps == 1:
        return draw.between(10 * MINUTE, 5 * DAY)
    return draw.between(1 * HOUR, 2 * DAY)


def _actor(draw: _Draw, action) -> str:
    if action in (SHIP, DELIVER):
        return "warehouse"
    if action == CONFIRM:
        return "clerk" if draw.chance(0.75) else "manager"
    return "manager" if draw.chance(0.5) else "clerk"


def _sprinkle_adjustments(draw: _Draw, plan, events, start) -> None:
    """A few breakages and stock-count corrections, as a real ledger has."""
    span = plan.now - start
    for index in range(len(plan.products)):
        if draw.chance(0.25):
            detail = (
                -draw.between(1, 2),
                "damage",
                ("Broken on the shelf", "Damaged in transit")[draw.below(2)],
                "warehouse",
            )
            when = start + draw.below(span)
            events.append((when, len(events), ADJUST, index, detail))
        if draw.chance(0.1):
            quantity = (-2, -1, 1, 2, 3)[draw.below(5)]
            detail = (quantity, "correction", "Stock count", "manager")
            when = start + draw.below(span)
            events.append((when, len(events), ADJUST, index, detail))


def _replay(draw: _Draw, plan: Plan, known: list) -> None:
    """Live through the events in time order, keeping stock in memory.

    A confirmation that finds a product short is preceded by a restock at the
    same instant. A sale that leaves a product at or under its reorder level
    books a supplier delivery a few days later. Adjustments that would take
    stock below zero are dropped, as a warehouse would not record them.

    ``known`` (every order's life, drawn up front) is sorted once; the few
    events that the replay itself books wait in a small heap beside it.
    """
    known.sort()
    booked: list = []
    sequence = len(known)
    products, orders = plan.products, plan.orders
    stock = [p.opening_stock for p in products]
    touched = [p.created_at for p in products]
    reorder = [p.reorder_level for p in products]
    restock_booked = [False] * len(products)
    out = plan.events
    end = plan.now
    position, known_count = 0, len(known)
    while position < known_count or booked:
        if booked and (position == known_count or booked[0] < known[position]):
            when, _, kind, index, detail = heapq.heappop(booked)
        else:
            when, _, kind, index, detail = known[position]
            position += 1
        if kind == CREATE:
            orders[index].updated_at = when
            out.append((when, kind, index, None))
            continue
        if kind == ADJUST:
            quantity, reason, _, _ = detail
            if reason == "restock":
                restock_booked[index] = False
            if stock[index] + quantity >= 0:
                stock[index] += quantity
                touched[index] = when
                out.append((when, kind, index, detail))
            continue
        order = orders[index]
        if kind == CONFIRM:
            for product, quantity in order.lines:
                if stock[product] < quantity:
                    needed = quantity - stock[product] + reorder[product]
                    delivery = _batch(draw, needed)
                    stock[product] += delivery
                    out.append((when, ADJUST, product, _restock(delivery)))
            for product, quantity in order.lines:
                stock[product] -= quantity
                touched[product] = when
                if stock[product] <= reorder[product] and not restock_booked[product]:
                    arrives = when + draw.between(2 * DAY, 6 * DAY)
                    # Some suppliers are slow: a few products stay low a while.
                    if arrives < end and draw.chance(0.6):
                        restock_booked[product] = True
                        delivery = _restock(_batch(draw, reorder[product] + 10))
                        heapq.heappush(
                            booked, (arrives, sequence, ADJUST, product, delivery)
                        )
                        sequence += 1
            order.status, order.confirmed_at = "confirmed", when
        elif kind == SHIP:
            order.status, order.shipped_at = "shipped", when
        elif kind == DELIVER:
            order.status, order.delivered_at = "delivered", when
            if draw.chance(0.02):
                returned_at = when + draw.between(2 * DAY, 10 * DAY)
                if returned_at < end:
                    comeback = (1, "return", "Returned by the client", "clerk")
                    heapq.heappush(
                        booked,
                        (returned_at, sequence, ADJUST, order.lines[0][0], comeback),
                    )
                    sequence += 1
        elif kind == CANCEL:
            if order.confirmed_at is not None:
                for product, quantity in order.lines:
                    stock[product] += quantity
                    touched[product] = when
            order.status, order.cancelled_at = "cancelled", when
        order.updated_at = when
        out.append((when, kind, index, detail))
    for product, level, moment in zip(products, stock, touched, strict=True):
        product.stock = level
        product.updated_at = moment


def _batch(draw: _Draw, at_least: int) -> int:
    """A supplier delivery: a case size large enough for what is needed."""
    size = (12, 24, 36, 48, 60)[draw.below(5)]
    return size * max(1, -(-at_least // size))


def _restock(quantity: int) -> tuple[int, str, str, str]:
    return (quantity, "restock", "Supplier delivery", "warehouse")
