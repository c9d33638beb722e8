"""Orders: drafts and their lines, and the one state machine that moves them."""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Product
from catalog.selectors import tax_rates_by_product
from customers.models import Client
from customers.services import client_hold_for_record
from integrations.events import SUBSCRIBED, event_record
from inventory.models import Location, StockMovement
from inventory.selectors import stock_moved_for_order
from inventory.services import location_usable, stock_apply
from staff.models import Employee
from store_project.db.errors import row_lock_timeout, unique_violations_as_invalid_input
from store_project.db.inserts import insert_rows
from store_project.db.reads import instance_from_row
from store_project.db.updates import model_update
from store_project.exceptions import InvalidInput

from . import money
from .exceptions import EmptyOrder, IllegalTransition, OrderNotEditable
from .models import MAX_TOTAL, Order, OrderLine, OrderStatus, OrderStatusChange


@dataclass(frozen=True)
class LineSpec:
    product: Product
    quantity: int


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# ``order_update(discount=UNCHANGED)`` keeps the discount; None removes it.
UNCHANGED: Any = _Unchanged()

ORDER_EDITABLE_FIELDS = ("client", "employee", "location", "notes")
# Written only from sales.money's answer, whenever the lines or discount change.
ORDER_MONEY_FIELDS = (
    "discount_kind",
    "discount_value",
    "discount_reason",
    "subtotal",
    "discount_total",
    "tax_total",
    "total_amount",
)
LINE_MONEY_FIELDS = ("discount_amount", "net_amount", "taxes", "tax_amount")
_LINE_UNIQUE = {
    "sales_orderline_product_once": (
        "lines",
        "The same product appears on two lines; put the quantity on one line.",
    )
}


# --- Drafts --------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    client: Client,
    employee: Employee | None = None,
    location: Location | None = None,
    lines: Iterable[LineSpec] = (),
    notes: str = "",
    discount: money.Discount | None = None,
    within: Collection[int] | None = None,
) -> Order:
    """Create a draft order; each line takes the product's current price and rates.

    ``location`` defaults to the default location (callers first offer the
    requesting employee's home, ``order_default_location``); ``within`` are
    the location ids a scoped user may write at (None: every location).
    """
    location = location_usable(location, within=within)
    client_hold_for_record(client=client)  # an anonymized client is refused
    rows = _priced_lines(list(lines))
    order = Order(
        client=client,
        employee=employee,
        location=location,
        notes=notes,
        **_money_of(rows, discount),
    )
    insert_rows([order])
    _insert_lines(order, rows)
    return order


@transaction.atomic
def order_update(
    *,
    order: Order,
    lines: Iterable[LineSpec] | None = None,
    discount: money.Discount | None = UNCHANGED,
    within: Collection[int] | None = None,
    **changes,
) -> Order:
    """Change a draft; ``lines``, when given, replace all the old lines.

    A change of the lines or the discount recomputes every amount of the
    order and its lines (``sales.money``); the lines kept keep the prices and
    tax rates they were written with.
    """
    order = _lock_draft(order, "edited", within=within)
    if changes.get("location") is not None:
        location_usable(changes["location"], within=within)
    elif "location" in changes:
        changes["location"] = location_usable(None, within=within)
    if "client" in changes:
        client_hold_for_record(client=changes["client"])
    data, fields = dict(changes), ORDER_EDITABLE_FIELDS
    rows = None
    if lines is not None:
        rows = _priced_lines(list(lines))
    elif discount is not UNCHANGED:
        rows = list(order.lines.order_by("id"))
    if rows is not None:
        if discount is UNCHANGED:
            discount = _discount_of(order)
        data.update(_money_of(rows, discount))
        fields = (*fields, *ORDER_MONEY_FIELDS)
    model_update(instance=order, fields=fields, data=data)
    if lines is not None:
        order.lines.all().delete()
        _insert_lines(order, rows)
    elif rows:
        OrderLine.objects.bulk_update(rows, LINE_MONEY_FIELDS)
    return order


@transaction.atomic
def order_delete(*, order: Order, within: Collection[int] | None = None) -> None:
    _lock_draft(order, "deleted", lock="UPDATE", within=within).delete()


def order_default_location(*, user) -> Location | None:
    """Where a new order of ``user`` is when none is given: their employee's
    home location (None: the default location)."""
    employee = getattr(user, "employee", None) if user is not None else None
    return employee.home_location if employee is not None else None


def _lock_draft(
    order: Order, verb: str, lock: str = "NO KEY UPDATE", within=None
) -> Order:
    locked = _lock_order(order.pk, lock=lock, within=within)
    if not locked.is_draft:
        raise OrderNotEditable(
            f"Order #{locked.pk} is {locked.status} and can no longer be {verb}; "
            "only draft orders can."
        )
    return locked


def _discount_of(order: Order) -> money.Discount | None:
    if order.discount_kind is None:
        return None
    return money.Discount(
        order.discount_kind, order.discount_value, order.discount_reason
    )


def _priced_lines(lines: list[LineSpec]) -> list[OrderLine]:
    """The lines at their products' current prices and tax rates (unsaved)."""
    inactive = [line.product for line in lines if not line.product.is_active]
    if inactive:
        raise InvalidInput(
            errors=[
                ("inactive_product", f"Product {p.name!r} (id {p.pk}) is not for sale.")
                for p in inactive
            ],
            field="lines",
        )
    rates = tax_rates_by_product(products=[line.product for line in lines])
    return [
        OrderLine(
            product=line.product,
            quantity=line.quantity,
            unit_price=line.product.unit_price,
            # The rates are copied like the price: a later change of the
            # product's class never reaches this line. Amounts come below.
            taxes=[
                {"name": name, "rate": money.rate_text(rate)}
                for name, rate in rates[line.product.pk]
            ],
        )
        for line in lines
    ]


def _money_of(rows: list[OrderLine], discount: money.Discount | None) -> dict:
    """Set each line's amounts from ``sales.money``; answer the order's.

    ``rows`` are in id order (new lines are inserted in this order), which
    the discount's spread breaks its ties by.
    """
    inputs = [
        money.Line(
            quantity=row.quantity,
            unit_price=row.unit_price,
            rates=tuple(
                money.Rate(tax["name"], Decimal(tax["rate"])) for tax in row.taxes
            ),
        )
        for row in rows
    ]
    try:
        result = money.order_money(inputs, discount)
    except money.DiscountRefused as refusal:
        raise InvalidInput(str(refusal), code=refusal.code, field="discount") from None
    if max(result.subtotal, result.total_amount) > MAX_TOTAL:
        raise InvalidInput(
            f"The order total would exceed {MAX_TOTAL}.",
            code="max_value",
            field="lines",
        )
    for row, line in zip(rows, result.lines, strict=True):
        row.discount_amount = line.discount_amount
        row.net_amount = line.net_amount
        row.taxes = [
            {
                "name": tax.name,
                "rate": money.rate_text(tax.rate),
                "amount": money.amount_text(tax.amount),
            }
            for tax in line.taxes
        ]
        row.tax_amount = line.tax_amount
    return {
        "discount_kind": discount and discount.kind,
        "discount_value": discount and discount.value,
        "discount_reason": discount.reason if discount else "",
        "subtotal": result.subtotal,
        "discount_total": result.discount_total,
        "tax_total": result.tax_total,
        "total_amount": result.total_amount,
    }


# A draft's order and lines are written with hand-written INSERTs
# (``insert_rows``: values as save() prepares them), the lines' statement
# answering them as ``LINE_ROWS`` for the API's answer. The ORM equivalent,
# ``order.save()`` and ``OrderLine.objects.bulk_create(rows)``, then a read of
# the lines, compiled three statements for every draft written: more CPU than
# the rest of the draft's writing.
def _insert_lines(order: Order, rows: list[OrderLine]) -> None:
    """Insert ``rows`` as lines of ``order``, which keeps them as they are
    written (``LINES_READ``, in ``LINE_ROWS``' columns) for its answer."""
    lines = []
    if rows:
        for row in rows:
            row.order = order
        # Both callers are atomic blocks that this error leaves: no savepoint.
        with unique_violations_as_invalid_input(_LINE_UNIQUE, savepoint=False):
            lines = insert_rows(rows, returning=LINE_COLUMNS, alias="l")
    setattr(order, LINES_READ, lines)


# --- The state machine ---------------------------------------------------------
#
# Confirming is a shop's busiest write, so the state machine writes the order
# through hand-written statements rather than the ORM: compiling the ORM's
# statements cost more CPU than the rest of the request. A move is one
# statement (``_move``); its ORM equivalent is ``order.save(update_fields=
# ...)``, ``OrderStatusChange.objects.create(...)`` and a ``values_list`` of
# the lines: three round trips while the order is locked, and twice the CPU.

_ORDER = Order._meta.db_table
_ORDER_NAMES = [f.attname for f in Order._meta.concrete_fields]
# ``subscribed``: whether a webhook awaits the move's event (SUBSCRIBED), read
# with the lock rather than in a statement of its own.
_LOCK_ORDER = (
    f"SELECT {', '.join(f.column for f in Order._meta.concrete_fields)}, "
    f"{{subscribed}} FROM {_ORDER} WHERE id = %s {{scope}}FOR {{lock}}"
)
# A scoped user's order: the scope is a condition of the lock's own statement,
# so an order of another location is "no such order" (a 404) without a
# separate look-up first.
_IN_SCOPE = "AND location_id = ANY(%s) "
# An order's lines as the API writes them (``sales.serializers.LINE``),
# followed by a WHERE on ``l.order_id``. The product's name is a subquery,
# not a join: for a page's lines the planner hashed the whole product table,
# where looking up each line's product by its key is a fraction of that.
LINE_COLUMNS = f"""
    l.order_id, l.id, l.product_id,
    (SELECT p.name FROM {Product._meta.db_table} p WHERE p.id = l.product_id),
    l.quantity, l.unit_price::text, (l.quantity * l.unit_price)::text,
    l.discount_amount::text, l.net_amount::text, l.taxes::text,
    l.tax_amount::text, l.returned_quantity
"""
LINE_ROWS = f"SELECT {LINE_COLUMNS} FROM {OrderLine._meta.db_table} l"
# Where a transition leaves the LINE_ROWS it read on the order it returns.
LINES_READ = "_line_rows"
_MOVE = f"""
    WITH moved AS (
        UPDATE {_ORDER} SET status = %(to)s, {{stamp}} = %(at)s, updated_at = %(at)s
        WHERE id = %(order)s
    ), recorded AS (
        INSERT INTO {OrderStatusChange._meta.db_table}
            (order_id, from_status, to_status, changed_at, changed_by_id)
        VALUES (%(order)s, %(from)s, %(to)s, %(at)s, %(by)s)
    )
    {LINE_ROWS} WHERE l.order_id = %(order)s ORDER BY l.id
"""

Lines = list[tuple[int, int]]  # (product id, quantity) of each line


def _lock_order(
    order_id: int,
    lock: str = "NO KEY UPDATE",
    within: Collection[int] | None = None,
    event: str | None = None,
) -> Order:
    """The order, read as its row is locked until the commit.

    ``NO KEY UPDATE`` unless the order is to be deleted: a ``FOR UPDATE``
    lock would also block every insert of a row that refers to the order.
    ``within``: the location ids the caller may see (None: all); an order
    elsewhere is no such order. With ``event``, the order's
    ``event_subscribed`` says whether a webhook subscribes to it.
    """
    lowest, highest = connection.ops.integer_field_range(
        Order._meta.pk.get_internal_type()
    )
    if lowest <= order_id <= highest:  # beyond: no such row, as with the ORM
        subscribed, params = "FALSE", [order_id]
        if event is not None:
            subscribed, params = SUBSCRIBED, [event, order_id]
        scope = ""
        if within is not None:
            scope = _IN_SCOPE
            params.append(sorted(within))
        sql = _LOCK_ORDER.format(subscribed=subscribed, lock=lock, scope=scope)
        with row_lock_timeout(f"Order #{order_id}"), connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None:
            order = instance_from_row(Order, _ORDER_NAMES, row)
            order.event_subscribed = row[-1]
            return order
    raise Order.DoesNotExist(f"No order with id {order_id}.")


def _move(
    order: Order, previous: str, stamp: str, by: AbstractBaseUser | None
) -> Lines:
    """Write the order's new status, stamp and history row; answer its lines.

    The order is locked, so its lines (read here, after the lock) can no
    longer change: the order keeps their ``LINE_ROWS`` for its answer.
    """
    column = Order._meta.get_field(stamp).column
    with connection.cursor() as cursor:
        cursor.execute(
            _MOVE.format(stamp=column),
            {
                "order": order.pk,
                "from": previous,
                "to": order.status,
                "at": getattr(order, stamp),
                "by": by.pk if by is not None and by.is_authenticated else None,
            },
        )
        rows = cursor.fetchall()
    setattr(order, LINES_READ, rows)
    return [(row[2], row[4]) for row in rows]


def _take_stock(order: Order, lines: Lines, by: AbstractBaseUser | None) -> None:
    if not lines:
        raise EmptyOrder(
            f"Order #{order.pk} has no lines; add lines before confirming."
        )
    stock_apply(
        location_id=order.location_id,
        changes={product_id: -quantity for product_id, quantity in lines},
        reason=StockMovement.Reason.SALE,
        order_id=order.pk,
        by=by,
        savepoint=False,  # order_transition's transaction rolls back whole
    )


def _give_stock_back(order: Order, lines: Lines, by: AbstractBaseUser | None) -> None:
    """Return exactly what the ledger says this order took, where it took it
    (nothing for a draft). Locations in id order: see ``stock_apply``."""
    taken = stock_moved_for_order(order_id=order.pk)
    for location_id, moved in sorted(taken.items()):
        stock_apply(
            location_id=location_id,
            changes={product_id: -quantity for product_id, quantity in moved.items()},
            reason=StockMovement.Reason.CANCELLATION,
            order_id=order.pk,
            by=by,
            savepoint=False,  # order_transition's transaction rolls back whole
        )


@dataclass(frozen=True)
class Transition:
    """One move of the state machine: what it does, who may, what it is called.

    The API's actions and the admin's actions, buttons and messages read the
    permission and the labels from here; a test holds each permission to the
    role matrix (staff.roles), which cannot import sales.
    """

    sources: frozenset[str]
    target: str
    stamp: str
    permission: str
    label: str  # the button: "Confirm"
    past_tense: str  # the messages: "Order #7 confirmed."
    effect: Callable[[Order, Lines, AbstractBaseUser | None], None] | None = None
    event: str | None = None  # recorded for the webhooks, in the same transaction


S = OrderStatus
TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(
        sources=frozenset({S.DRAFT}),
        target=S.CONFIRMED,
        stamp="confirmed_at",
        permission="sales.confirm_order",
        label="Confirm",
        past_tense="confirmed",
        event="order.confirmed",
        effect=_take_stock,
    ),
    "ship": Transition(
        sources=frozenset({S.CONFIRMED}),
        target=S.SHIPPED,
        stamp="shipped_at",
        permission="sales.ship_order",
        label="Ship",
        past_tense="shipped",
        event="order.shipped",
    ),
    "deliver": Transition(
        sources=frozenset({S.SHIPPED}),
        target=S.DELIVERED,
        stamp="delivered_at",
        permission="sales.deliver_order",
        label="Deliver",
        past_tense="delivered",
        event="order.delivered",
    ),
    "cancel": Transition(
        sources=frozenset({S.DRAFT, S.CONFIRMED}),
        target=S.CANCELLED,
        stamp="cancelled_at",
        permission="sales.cancel_order",
        label="Cancel",
        past_tense="cancelled",
        event="order.cancelled",
        effect=_give_stock_back,
    ),
}


@transaction.atomic
def order_transition(
    *,
    order_id: int,
    action: str,
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
) -> Order:
    """Apply one of ``TRANSITIONS`` to an order, with its side effects, all or nothing.

    The order row is locked first (so two requests cannot move one order
    twice), then the effect locks stock levels in (product, location) order.
    Raises ``Order.DoesNotExist``, also for an order outside ``within`` (the
    location ids a scoped user may see); returns the order as written.
    """
    transition = TRANSITIONS[action]
    order = _lock_order(order_id, within=within, event=transition.event)
    if order.status not in transition.sources:
        allowed = " or ".join(sorted(transition.sources))
        raise IllegalTransition(
            f"Cannot {action} order #{order.pk}: it is {order.status}; "
            f"only {allowed} orders can be {transition.target}."
        )
    previous = order.status
    now = timezone.now()
    order.status = transition.target
    order.updated_at = now
    setattr(order, transition.stamp, now)
    lines = _move(order, previous, transition.stamp, by)
    if transition.event is not None:
        event_record(
            event_type=transition.event,
            instance=order,
            subscribed_now=order.event_subscribed,
        )
    # The effect last: the product rows it locks (the contended ones) stay
    # locked only until the commit. If it refuses, the order's writes above
    # (and its event) are rolled back with it.
    if transition.effect is not None:
        transition.effect(order, lines, by)
    return order
