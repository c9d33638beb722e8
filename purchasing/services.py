"""Purchase orders: drafts, the state machine that moves them, and receipts at cost.

A purchase order's status moves only through ``purchase_order_transition``,
which reads ``TRANSITIONS``: each entry carries its sources, target, stamp,
effect, permission, labels and event, which the API actions, the admin's
buttons and the role matrix read too. Receiving locks the purchase order
row first, then its products in id order (their average cost), then, through
``inventory.services.stock_apply``, their stock levels in product order.
"""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit import services as audit
from catalog.models import Product, Supplier
from integrations.events import event_record
from inventory.models import Location, StockLevel, StockMovement
from inventory.services import location_usable, stock_apply
from store_project.db.errors import row_lock_timeout, unique_violations_as_invalid_input
from store_project.db.updates import model_update
from store_project.exceptions import InvalidInput

from . import selectors
from .exceptions import (
    EmptyPurchaseOrder,
    IllegalPurchaseOrderTransition,
    MoreThanAwaited,
    PurchaseOrderNotEditable,
)
from .models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus

COST_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PurchaseLineSpec:
    product: Product
    quantity: int
    unit_cost: Decimal


PURCHASE_ORDER_EDITABLE_FIELDS = ("supplier", "location", "notes", "expected_at")
_AUDITED = (*PURCHASE_ORDER_EDITABLE_FIELDS, "status")
_LINE_UNIQUE = {
    "purchasing_purchaseorderline_once": (
        "lines",
        "The same product appears on two lines; put the quantity on one line.",
    )
}


def total_cost(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    """The sum of quantity x unit cost, rounded once, half up, to cents."""
    exact = sum((quantity * cost for quantity, cost in lines), Decimal(0))
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def average_cost(
    *, stock: int, average: Decimal, quantity: int, unit_cost: Decimal
) -> Decimal:
    """The moving average after receiving ``quantity`` units at ``unit_cost``
    with ``stock`` units valued at ``average`` before (none or fewer: the
    receipt's cost), rounded half up to 4 places."""
    if stock <= 0:
        return unit_cost.quantize(COST_PLACES, rounding=ROUND_HALF_UP)
    value = stock * average + quantity * unit_cost
    return (value / (stock + quantity)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


# --- Drafts --------------------------------------------------------------------


def _check_supplier(supplier: Supplier) -> None:
    if not supplier.is_active:
        raise InvalidInput(
            f"Supplier {supplier.name!r} is inactive and takes no purchase orders.",
            code="inactive_supplier",
            field="supplier",
        )


def _check_lines(lines: list[PurchaseLineSpec]) -> None:
    problems = []
    seen: set[int] = set()
    for line in lines:
        if line.product.pk in seen:
            problems.append(
                (
                    "duplicate_product",
                    f"Product {line.product.name!r} appears on two lines; put the "
                    "quantity on one line.",
                )
            )
        seen.add(line.product.pk)
        if line.quantity < 1:
            problems.append(("min_value", "A line's quantity is at least 1."))
        cost = line.unit_cost
        if cost <= 0 or cost != cost.quantize(COST_PLACES):
            problems.append(
                (
                    "invalid_unit_cost",
                    f"The unit cost of {line.product.name!r} is {cost}: more than "
                    "0, with at most 4 decimal places.",
                )
            )
    if problems:
        raise InvalidInput(errors=problems, field="lines")


def _insert_lines(purchase_order: PurchaseOrder, lines: list[PurchaseLineSpec]):
    _check_lines(lines)
    with unique_violations_as_invalid_input(_LINE_UNIQUE):
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                purchase_order=purchase_order,
                product=line.product,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
            )
            for line in lines
        )


def _lines_audited(lines) -> list[list]:
    return sorted(
        [line.product.pk, line.quantity, f"{line.unit_cost:.4f}"] for line in lines
    )


@transaction.atomic
def purchase_order_create(
    *,
    supplier: Supplier,
    location: Location | None = None,
    lines: Iterable[PurchaseLineSpec] = (),
    notes: str = "",
    expected_at=None,
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
) -> PurchaseOrder:
    """A draft purchase order; ``location`` defaults to the default location.
    ``within``: the location ids a scoped user may write at (None: all)."""
    _check_supplier(supplier)
    location = location_usable(location, within=within)
    purchase_order = PurchaseOrder.objects.create(
        supplier=supplier,
        location=location,
        notes=notes,
        expected_at=expected_at,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    lines = list(lines)
    _insert_lines(purchase_order, lines)
    audit.record_create(
        purchase_order, _AUDITED, also={"lines": _lines_audited(lines)}, by=by
    )
    return purchase_order


@transaction.atomic
def purchase_order_update(
    *,
    purchase_order: PurchaseOrder,
    lines: Iterable[PurchaseLineSpec] | None = None,
    within: Collection[int] | None = None,
    **changes,
) -> PurchaseOrder:
    """Change a draft; ``lines``, when given, replace all the old lines."""
    purchase_order = _lock(purchase_order.pk, within=within)
    _only_draft(purchase_order, "edited")
    if "supplier" in changes:
        _check_supplier(changes["supplier"])
    if "location" in changes:
        changes["location"] = location_usable(changes["location"], within=within)
    changed = dict(
        model_update(
            instance=purchase_order,
            fields=PURCHASE_ORDER_EDITABLE_FIELDS,
            data=changes,
        )
    )
    if lines is not None:
        lines = list(lines)
        before = _lines_audited(purchase_order.lines.select_related("product"))
        purchase_order.lines.all().delete()
        _insert_lines(purchase_order, lines)
        if _lines_audited(lines) != before:
            changed["lines"] = (before, _lines_audited(lines))
    audit.record_update(purchase_order, changed)
    return purchase_order


@transaction.atomic
def purchase_order_delete(
    *, purchase_order: PurchaseOrder, within: Collection[int] | None = None
) -> None:
    locked = _lock(purchase_order.pk, lock="UPDATE", within=within)
    _only_draft(locked, "deleted")
    audit.record_delete(
        locked,
        _AUDITED,
        also={"lines": _lines_audited(locked.lines.select_related("product"))},
    )
    locked.delete()


def _only_draft(purchase_order: PurchaseOrder, verb: str) -> None:
    if not purchase_order.is_draft:
        raise PurchaseOrderNotEditable(
            f"Purchase order #{purchase_order.pk} is {purchase_order.status} and "
            f"can no longer be {verb}; only draft purchase orders can."
        )


def _lock(
    purchase_order_id: int, lock: str = "NO KEY UPDATE", within=None
) -> PurchaseOrder:
    """The purchase order, locked until the commit; one at another location
    than a scoped user's is no such purchase order. ``NO KEY UPDATE`` unless
    it is to be deleted: a ``FOR UPDATE`` lock would also block every insert
    of a row that refers to it (its lines, its audit entries do not)."""
    purchase_orders = PurchaseOrder.objects.select_related("location", "supplier")
    if within is not None:
        purchase_orders = purchase_orders.filter(location__in=within)
    with row_lock_timeout(f"Purchase order #{purchase_order_id}"):
        return purchase_orders.select_for_update(
            no_key=lock == "NO KEY UPDATE", of=("self",)
        ).get(pk=purchase_order_id)


# --- The state machine ---------------------------------------------------------

Lines = dict[int, PurchaseOrderLine]  # the lines by product id


def _needs_lines(purchase_order: PurchaseOrder, lines: Lines, received, by) -> None:
    if not lines:
        raise EmptyPurchaseOrder(
            f"Purchase order #{purchase_order.pk} has no lines; add lines before "
            "ordering."
        )
    location_usable(purchase_order.location)
    _check_supplier(purchase_order.supplier)


def _receive(
    purchase_order: PurchaseOrder,
    lines: Lines,
    received: Mapping[int, int] | None,
    by: AbstractBaseUser | None,
) -> None:
    """Add what arrived at the purchase order's location, at each line's
    cost, and move each product's average cost, all or nothing."""
    if received is None:
        received = {pk: line.outstanding for pk, line in lines.items()}
    problems = []
    for product_id, quantity in received.items():
        line = lines.get(product_id)
        if line is None:
            raise InvalidInput(
                f"Product {product_id} is not on purchase order #{purchase_order.pk}.",
                code="not_on_purchase_order",
                field="lines",
            )
        if quantity > line.outstanding:
            problems.append(
                (
                    MoreThanAwaited.default_code,
                    f"Product {line.product.name!r} (id {product_id}): {quantity} "
                    f"received, but the line awaits only {line.outstanding}.",
                )
            )
    if problems:
        raise MoreThanAwaited(errors=problems)
    arrived = {pk: quantity for pk, quantity in sorted(received.items()) if quantity}
    if not arrived:
        raise InvalidInput(
            "Nothing to receive: give at least one line with a quantity.",
            code="empty_receipt",
            field="lines",
        )
    # The products in id order, the order stock_apply then locks their stock
    # levels in, so two receipts of one product apply their averages one
    # after the other, each on the stock and cost the other committed.
    with row_lock_timeout("The products received"):
        products = {
            product.pk: product
            for product in Product.objects.select_for_update(no_key=True)
            .filter(pk__in=arrived)
            .order_by("pk")
            .only("pk", "average_cost")
        }
    stock = dict(
        StockLevel.objects.filter(product_id__in=arrived)
        .values_list("product_id")
        .annotate(total=Sum("on_hand"))
        .order_by()
    )
    for product_id, quantity in arrived.items():
        product = products[product_id]
        new_average = average_cost(
            stock=stock.get(product_id, 0),
            average=product.average_cost,
            quantity=quantity,
            unit_cost=lines[product_id].unit_cost,
        )
        if new_average != product.average_cost:
            Product.objects.filter(pk=product_id).update(average_cost=new_average)
        line = lines[product_id]
        line.received_quantity += quantity
        PurchaseOrderLine.objects.filter(pk=line.pk).update(
            received_quantity=line.received_quantity
        )
    stock_apply(
        location_id=purchase_order.location_id,
        changes=arrived,
        reason=StockMovement.Reason.PURCHASE,
        purchase_order_id=purchase_order.pk,
        unit_costs={pk: lines[pk].unit_cost for pk in arrived},
        by=by,
        savepoint=False,  # purchase_order_transition's transaction rolls back whole
    )
    purchase_order.received_now = arrived


@dataclass(frozen=True)
class PurchaseOrderTransition:
    """One move of a purchase order: what it does, who may, what it is called."""

    sources: frozenset[str]
    target: str
    stamp: str
    permission: str
    label: str
    past_tense: str
    effect: Callable[..., None] | None = None
    # Receiving: the status while some line still awaits units (no stamp).
    partial_target: str | None = None
    event: str | None = None  # recorded for the webhooks, in the same transaction


S = PurchaseOrderStatus
TRANSITIONS: dict[str, PurchaseOrderTransition] = {
    "order": PurchaseOrderTransition(
        sources=frozenset({S.DRAFT}),
        target=S.ORDERED,
        stamp="ordered_at",
        permission="purchasing.order_purchaseorder",
        label="Order",
        past_tense="ordered",
        effect=_needs_lines,
    ),
    "receive": PurchaseOrderTransition(
        sources=frozenset({S.ORDERED, S.PARTIALLY_RECEIVED}),
        target=S.RECEIVED,
        stamp="received_at",
        permission="purchasing.receive_purchaseorder",
        label="Receive",
        past_tense="received",
        effect=_receive,
        partial_target=S.PARTIALLY_RECEIVED,
        event="purchase_order.received",
    ),
    "close": PurchaseOrderTransition(
        sources=frozenset({S.PARTIALLY_RECEIVED}),
        target=S.CLOSED,
        stamp="closed_at",
        permission="purchasing.close_purchaseorder",
        label="Close",
        past_tense="closed",
    ),
    "cancel": PurchaseOrderTransition(
        sources=frozenset({S.DRAFT, S.ORDERED}),
        target=S.CANCELLED,
        stamp="cancelled_at",
        permission="purchasing.cancel_purchaseorder",
        label="Cancel",
        past_tense="cancelled",
    ),
}


@transaction.atomic
def purchase_order_transition(
    *,
    purchase_order_id: int,
    action: str,
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
    received: Mapping[int, int] | None = None,
) -> PurchaseOrder:
    """Apply one of ``TRANSITIONS``, with its stock and costs, all or nothing.

    ``received`` (receive only) maps product ids to the units that arrived;
    None: everything still awaited. Each receipt, partial or whole, records
    ``purchase_order.received``. Raises ``PurchaseOrder.DoesNotExist``, also
    for one outside ``within`` (the location ids a scoped user may see).
    """
    transition = TRANSITIONS[action]
    purchase_order = _lock(purchase_order_id, within=within)
    if purchase_order.status not in transition.sources:
        allowed = " or ".join(sorted(transition.sources))
        raise IllegalPurchaseOrderTransition(
            f"Cannot {action} purchase order #{purchase_order.pk}: it is "
            f"{purchase_order.status}; only {allowed} purchase orders can be "
            f"{transition.past_tense}."
        )
    lines = {
        line.product_id: line
        for line in purchase_order.lines.select_related("product").order_by(
            "product_id"
        )
    }
    if transition.effect is not None:
        transition.effect(purchase_order, lines, received, by)
    previous, target = purchase_order.status, transition.target
    if transition.partial_target and any(line.outstanding for line in lines.values()):
        target = transition.partial_target
    purchase_order.status = target
    fields = ["status", "updated_at"]
    if target == transition.target:
        setattr(purchase_order, transition.stamp, timezone.now())
        fields.append(transition.stamp)
    purchase_order.save(update_fields=fields)
    changes = {"status": (previous, target)}
    arrived = getattr(purchase_order, "received_now", None)
    if arrived:
        changes["received"] = (None, sorted([pk, q] for pk, q in arrived.items()))
    audit.record(action=action, instance=purchase_order, changes=changes, by=by)
    if transition.event is not None:
        event_record(event_type=transition.event, instance=purchase_order)
    return purchase_order


# --- Reorder suggestions into drafts ---------------------------------------------


@transaction.atomic
def purchase_orders_from_suggestions(
    *,
    location: Location | None,
    cover_days: int,
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
) -> tuple[list[PurchaseOrder], list[int]]:
    """One draft per supplier with the location's suggestions, each line at
    the product's last purchase cost; answer the drafts and the product ids
    skipped (no active supplier, or never purchased).

    The drafts are incoming from then on, so a second run finds nothing more
    to order. Two runs for one location at once take turns on its row.
    """
    location = location_usable(location, within=within)
    with row_lock_timeout(f"Location {location.code}"):
        Location.objects.select_for_update(no_key=True).filter(pk=location.pk).get()
    suggestions = selectors.reorder_suggestions(
        location=location, cover_days=cover_days
    )
    costs = selectors.last_purchase_costs(product_ids=[s.product for s in suggestions])
    products = Product.objects.select_related("supplier").in_bulk(
        [s.product for s in suggestions]
    )
    by_supplier: dict[int, list[PurchaseLineSpec]] = {}
    skipped = []
    for suggestion in suggestions:
        product = products[suggestion.product]
        supplier = product.supplier
        if supplier is None or not supplier.is_active or product.pk not in costs:
            skipped.append(product.pk)
            continue
        by_supplier.setdefault(supplier.pk, []).append(
            PurchaseLineSpec(product, suggestion.suggested_quantity, costs[product.pk])
        )
    suppliers = Supplier.objects.in_bulk(list(by_supplier))
    created = [
        purchase_order_create(
            supplier=suppliers[supplier_id],
            location=location,
            lines=lines,
            notes="From the reorder suggestions.",
            by=by,
            within=within,
        )
        for supplier_id, lines in sorted(by_supplier.items())
    ]
    return created, sorted(skipped)
