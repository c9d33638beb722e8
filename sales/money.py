"""An order's money, from its lines, their tax rates and its discount.

Pure functions on ``Decimal``: no database, no model. The order services call
``order_money`` whenever a draft's lines or discount change and store what it
answers on the order and its lines; nothing else computes money, so the API,
the admin, the demo's bulk writer and the reports all read the same figures.

The rules (the API contract's "Taxes and discounts"), all half-up to cents:

- ``line_total`` = quantity x unit price; ``subtotal`` = their sum.
- A percent discount is round(subtotal x value / 100), value in (0, 100]; an
  amount discount is its value, > 0 and at most the subtotal.
- The discount is spread over the lines in proportion to their totals: each
  line gets its share rounded down to the cent, then the cents left over go
  one each to the lines with the largest remainders, ties to the earlier line
  (the caller passes lines in id order, so "earlier" is "lower id").
- Each rate of a line is round(net x rate), net = line total - its discount;
  the line's tax is their sum, ``tax_total`` the sum over lines, and
  ``total_amount`` = subtotal - discount_total + tax_total.

A return refunds each line's share of what was paid for it (``line_refund``).

Amounts are computed in integer cents, where the spread's shares and
remainders are exact fractions with one common denominator.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
PERCENT = "percent"
AMOUNT = "amount"
DISCOUNT_KINDS = (PERCENT, AMOUNT)
# A rate is a fraction in [0, 1) with at most this many decimal places.
RATE_PLACES = 5
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)
MAX_RATES = 5


class DiscountRefused(ValueError):
    """The discount cannot apply to these lines (the message says why).

    ``code`` is ``discount_above_subtotal`` for an amount larger than the
    lines, else ``invalid``.
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Rate:
    name: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Discount:
    kind: str  # PERCENT or AMOUNT
    value: Decimal
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    """What the money of a line depends on: written when the line is."""

    quantity: int
    unit_price: Decimal
    rates: tuple[Rate, ...] = ()


@dataclass(frozen=True, slots=True)
class LineTax:
    name: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineMoney:
    line_total: Decimal
    discount_amount: Decimal
    net_amount: Decimal
    taxes: tuple[LineTax, ...]
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderMoney:
    lines: tuple[LineMoney, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total_amount: Decimal


def round_cents(value: Decimal) -> Decimal:
    """``value`` rounded half-up (away from zero on a tie) to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_text(amount: Decimal) -> str:
    """An amount as the API writes it: ``"19.90"``."""
    return f"{amount.quantize(CENT):f}"


def rate_text(rate: Decimal) -> str:
    """A rate as the API writes it, with its 5 places: ``"0.05000"``."""
    return f"{rate.quantize(RATE_QUANTUM):f}"


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).to_integral_value())


def _amount(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2).quantize(CENT)


def check_discount(discount: Discount, subtotal: Decimal) -> None:
    """Raise ``DiscountRefused`` unless ``discount`` applies to ``subtotal``."""
    if discount.kind not in DISCOUNT_KINDS:
        raise DiscountRefused(
            f"Unknown discount kind {discount.kind!r}; use percent or amount."
        )
    if discount.value != discount.value.quantize(CENT):
        raise DiscountRefused("A discount's value has at most 2 decimal places.")
    if discount.kind == PERCENT:
        if not 0 < discount.value <= HUNDRED:
            raise DiscountRefused("A percent discount is more than 0 and at most 100.")
        return
    if discount.value <= 0:
        raise DiscountRefused("An amount discount is more than 0.00.")
    if discount.value > subtotal:
        raise DiscountRefused(
            f"The discount of {discount.value} is more than the order's "
            f"subtotal of {subtotal}; lower it or add lines.",
            code="discount_above_subtotal",
        )


def discount_total(discount: Discount | None, subtotal: Decimal) -> Decimal:
    """The order's discount in money; ``DiscountRefused`` if it cannot apply."""
    if discount is None:
        return Decimal("0.00")
    check_discount(discount, subtotal)
    if discount.kind == PERCENT:
        return round_cents(subtotal * discount.value / HUNDRED)
    return discount.value.quantize(CENT)


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` cents split in proportion to ``weights`` (cents, >= 0).

    Each share rounded down, then the cents left one each to the largest
    remainders, ties to the lower index. The shares add up to ``total``.
    """
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError("Nothing to spread a non-zero amount over.")
        return [0] * len(weights)
    # share_i = total * w_i / whole: floor and remainder over one denominator.
    floors, remainders = [], []
    for weight in weights:
        floor, remainder = divmod(total * weight, whole)
        floors.append(floor)
        remainders.append(remainder)
    left = total - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return floors


def line_taxes(net: Decimal, rates: Sequence[Rate]) -> tuple[LineTax, ...]:
    """Each rate of a line on its net amount, rounded half-up to cents."""
    return tuple(
        LineTax(name=r.name, rate=r.rate, amount=round_cents(net * r.rate))
        for r in rates
    )


def order_money(lines: Sequence[Line], discount: Discount | None = None) -> OrderMoney:
    """Every amount of an order; ``lines`` in id order (ties of the spread).

    Raises ``DiscountRefused`` when the discount cannot apply (a percent out
    of (0, 100], an amount not above 0 or above the subtotal).
    """
    totals = [line.quantity * line.unit_price for line in lines]
    subtotal = sum(totals, Decimal("0.00")).quantize(CENT)
    discounted = discount_total(discount, subtotal)
    shares = spread(_cents(discounted), [_cents(t) for t in totals])
    money_lines = []
    for line, total, share in zip(lines, totals, shares, strict=True):
        line_discount = _amount(share)
        net = total.quantize(CENT) - line_discount
        taxes = line_taxes(net, line.rates)
        money_lines.append(
            LineMoney(
                line_total=total.quantize(CENT),
                discount_amount=line_discount,
                net_amount=net,
                taxes=taxes,
                tax_amount=sum((t.amount for t in taxes), Decimal("0.00")),
            )
        )
    tax_total = sum((m.tax_amount for m in money_lines), Decimal("0.00"))
    return OrderMoney(
        lines=tuple(money_lines),
        subtotal=subtotal,
        discount_total=discounted,
        tax_total=tax_total,
        total_amount=subtotal - discounted + tax_total,
    )


def line_refund(
    *,
    quantity: int,
    ordered: int,
    paid: Decimal,
    returned_before: int = 0,
    refunded_before: Decimal = Decimal("0.00"),
) -> Decimal:
    """The refund of ``quantity`` units returned of an order line.

    ``paid`` is what the client paid for the line (its net amount and its
    taxes), ``ordered`` its quantity; ``returned_before`` and
    ``refunded_before`` what earlier returns of the line took. The refund is
    round(quantity / ordered x paid), half-up, except that the return that
    completes the line refunds exactly what is left of it, so a line's
    refunds add up to what was paid for it. A share is never more than
    what is left: with a few cents spread over many units, rounding each
    share up could otherwise refund the last unit's cents early.
    """
    if not 0 < quantity <= ordered - returned_before:
        raise ValueError(
            f"{quantity} units cannot be returned of {ordered} ordered, "
            f"{returned_before} returned already."
        )
    left = paid - refunded_before
    if returned_before + quantity == ordered:
        return left
    return min(round_cents(paid * quantity / ordered), left)
