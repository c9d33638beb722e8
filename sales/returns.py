"""Returns: goods a client brings back from an order, and the money owed back.

``return_create`` is the one way a return is written, from the API and the
admin alike. It locks the order row first, as the order's actions do, so two
returns of one order run one after the other and each checks its lines
against what the other left; then the stock service locks the restocked
products' stock levels (product order) at the order's location.
"""

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit import services as audit
from integrations.events import event_record
from inventory.models import StockMovement
from inventory.services import stock_apply
from store_project.exceptions import InvalidInput

from . import money
from .exceptions import MoreThanReturnable, OrderNotReturnable
from .models import Order, OrderLine, OrderStatus, Return, ReturnLine, ReturnReason
from .services import _lock_order

RETURNABLE_STATUSES = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
MAX_LINES = 500
_AUDITED = ("order", "location", "refund_amount", "note")


@dataclass(frozen=True)
class ReturnLineSpec:
    product_id: int
    quantity: int
    restock: bool
    reason: str


@transaction.atomic
def return_create(
    *,
    order_id: int,
    lines: Sequence[ReturnLineSpec],
    note: str = "",
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
) -> Return:
    """Record a return of a shipped or delivered order, all or nothing.

    Each line's refund is its share of what was paid for its order line
    (``money.line_refund``); restocked units go back at the order's
    location (movement ``return``), the others are written off. Raises
    ``Order.DoesNotExist``, also for an order outside ``within`` (the
    location ids a scoped user may see); ``InvalidInput`` (400) for a line
    that cannot be on this return; ``OrderNotReturnable`` and
    ``MoreThanReturnable`` (409) when the order's state refuses it.
    """
    order = _lock_order(order_id, within=within)
    if order.status not in RETURNABLE_STATUSES:
        raise OrderNotReturnable(
            f"Order #{order.pk} is {order.status}; only shipped or delivered "
            "orders can be returned."
        )
    # Read after the lock: no other return of this order can change them now.
    order_lines = {line.product_id: line for line in order.lines.all()}
    _check_lines(order, lines, order_lines)
    refunded = dict(
        ReturnLine.objects.filter(order_line__order=order)
        .values_list("order_line_id")
        .annotate(total=Sum("refund_amount"))
        .order_by()
    )
    rows = []
    for spec in lines:
        line = order_lines[spec.product_id]
        refund = money.line_refund(
            quantity=spec.quantity,
            ordered=line.quantity,
            paid=line.paid_amount,
            returned_before=line.returned_quantity,
            refunded_before=refunded.get(line.pk, Decimal("0.00")),
        )
        rows.append(
            ReturnLine(
                order_line=line,
                product_id=spec.product_id,
                quantity=spec.quantity,
                restock=spec.restock,
                reason=spec.reason,
                refund_amount=refund,
            )
        )
        line.returned_quantity += spec.quantity
    total = sum((row.refund_amount for row in rows), Decimal("0.00"))
    ret = Return.objects.create(
        order=order,
        location_id=order.location_id,
        refund_amount=total,
        note=note,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    for row in rows:
        row.order_return = ret
    ReturnLine.objects.bulk_create(rows)
    OrderLine.objects.bulk_update(
        [order_lines[spec.product_id] for spec in lines], ["returned_quantity"]
    )
    order.refunded_amount += total
    order.updated_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        refunded_amount=order.refunded_amount, updated_at=order.updated_at
    )
    restocked = {row.product_id: row.quantity for row in rows if row.restock}
    if restocked:
        stock_apply(
            location_id=order.location_id,
            changes=restocked,
            reason=StockMovement.Reason.RETURN,
            order_id=order.pk,
            return_id=ret.pk,
            by=by,
            savepoint=False,  # this transaction rolls back whole
        )
    audit.record_create(ret, _AUDITED, also={"lines": _lines_audited(rows)}, by=by)
    event_record(event_type="return.created", instance=ret)
    return ret


def _check_lines(
    order: Order, lines: Sequence[ReturnLineSpec], order_lines: dict[int, OrderLine]
) -> None:
    """Refuse the return, naming every line at fault: 400 for a line that
    cannot be on it, else 409 for more than is left to return."""
    if not lines:
        raise InvalidInput(
            "A return has at least one line.", code="empty", field="lines"
        )
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            f"A return has at most {MAX_LINES} lines.", code="max_length", field="lines"
        )
    seen = Counter(spec.product_id for spec in lines)
    invalid = []
    for spec in lines:
        product = spec.product_id
        if product not in order_lines:
            invalid.append(
                ("not_on_order", f"Product {product} is not on order #{order.pk}.")
            )
        elif seen[product] > 1:
            invalid.append(
                (
                    "duplicate_product",
                    f"Product {product} appears on two lines of the return; "
                    "put the quantity on one line.",
                )
            )
        if spec.quantity < 1:
            invalid.append(
                ("min_value", f"Product {product}: the quantity is at least 1.")
            )
        if spec.reason not in ReturnReason.values:
            invalid.append(
                (
                    "invalid_choice",
                    f"Product {product}: {spec.reason!r} is not a return reason.",
                )
            )
    if invalid:
        raise InvalidInput(errors=dict.fromkeys(invalid), field="lines")
    short = [
        (spec, order_lines[spec.product_id])
        for spec in lines
        if spec.quantity > order_lines[spec.product_id].returnable_quantity
    ]
    if short:
        raise MoreThanReturnable(
            errors=[
                (
                    "more_than_returnable",
                    f"Product {line.product_id}: {spec.quantity} returned, but only "
                    f"{line.returnable_quantity} of {line.quantity} ordered can "
                    "still be returned.",
                )
                for spec, line in short
            ],
            field="lines",
        )


def _lines_audited(rows: list[ReturnLine]) -> list[list]:
    return sorted(
        [
            row.product_id,
            row.quantity,
            row.restock,
            row.reason,
            money.amount_text(row.refund_amount),
        ]
        for row in rows
    )
