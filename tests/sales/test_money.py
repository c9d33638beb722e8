"""The money module alone: the contract's rounding rules, case by case and as laws."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales.money import (
    AMOUNT,
    PERCENT,
    Discount,
    DiscountRefused,
    Line,
    Rate,
    line_refund,
    order_money,
    round_cents,
    spread,
)

D = Decimal
GST = Rate("GST", D("0.05"))
QST = Rate("QST", D("0.09975"))
QUEBEC = (GST, QST)


def money(lines, discount=None):
    return order_money(
        [Line(q, D(p), tuple(r)) for q, p, r in lines],
        None if discount is None else Discount(discount[0], D(discount[1])),
    )


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # half-up, not banker's rounding (0.02)
        ("0.0049999", "0.00"),
        ("2.675", "2.68"),
        ("1.994999", "1.99"),
        ("0", "0.00"),
    ],
)
def test_rounding_is_half_up_to_the_cent(value, rounded):
    assert str(round_cents(D(value))) == rounded


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        (100, [100, 100, 100], [34, 33, 33]),  # a tie: the first line
        (200, [100, 100, 100], [67, 67, 66]),
        (1, [1, 1], [1, 0]),
        (1, [1, 2], [0, 1]),  # largest remainder wins over order
        (10, [333, 333, 334], [3, 3, 4]),
        (7, [0, 5, 5], [0, 4, 3]),  # a zero line gets nothing
        (0, [5, 7], [0, 0]),
        (999, [999], [999]),
        (5, [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]),
    ],
)
def test_spread_by_largest_remainder_ties_to_the_lower_line(total, weights, shares):
    assert spread(total, weights) == shares


@pytest.mark.parametrize(
    ("lines", "discount", "expected"),
    [
        # No rates, no discount: the v1 total.
        ([(2, "19.99", ()), (7, "0.15", ())], None, ("41.03", "0.00", "0.00", "41.03")),
        # Quebec on 100.00: 5.00 + 9.975 -> 9.98.
        ([(1, "100.00", QUEBEC)], None, ("100.00", "0.00", "14.98", "114.98")),
        # A one-cent order: each tax rounds to nothing.
        ([(1, "0.01", QUEBEC)], None, ("0.01", "0.00", "0.00", "0.01")),
        # 10 x 0.10: GST 0.05, QST 0.09975 -> 0.10.
        ([(1, "1.00", QUEBEC)], None, ("1.00", "0.00", "0.15", "1.15")),
        # 10% of 33.33 is 3.333 -> 3.33.
        ([(1, "33.33", ())], (PERCENT, "10"), ("33.33", "3.33", "0.00", "30.00")),
        # 15% of 0.10 is 0.015 -> 0.02 (half-up).
        ([(1, "0.10", ())], (PERCENT, "15"), ("0.10", "0.02", "0.00", "0.08")),
        # 100%: nothing to pay and no tax.
        ([(3, "9.99", QUEBEC)], (PERCENT, "100"), ("29.97", "29.97", "0.00", "0.00")),
        # An amount equal to the subtotal.
        ([(1, "5.00", QUEBEC)], (AMOUNT, "5.00"), ("5.00", "5.00", "0.00", "0.00")),
        # 10.00 off three equal lines: 3.34, 3.33, 3.33; taxes on each net.
        (
            [(1, "10.00", QUEBEC)] * 3,
            (AMOUNT, "10.00"),
            ("30.00", "10.00", "2.99", "22.99"),
        ),
    ],
)
def test_order_totals(lines, discount, expected):
    result = money(lines, discount)

    assert (
        tuple(
            str(x)
            for x in (
                result.subtotal,
                result.discount_total,
                result.tax_total,
                result.total_amount,
            )
        )
        == expected
    )


def test_an_uneven_split_gives_the_spare_cents_to_the_largest_remainders():
    # 1.00 off three lines of 1.00: three equal shares of 0.333..., a tie,
    # so the spare cent goes to the first line.
    result = money([(1, "1.00", ()), (1, "1.00", ()), (1, "1.00", ())], (AMOUNT, "1"))
    assert [str(line.discount_amount) for line in result.lines] == [
        "0.34",
        "0.33",
        "0.33",
    ]
    # 0.05 off 1.00, 2.00, 4.00 (7.00): shares 0.00714, 0.01428, 0.02857:
    # floors 0, 1, 2 cents; remainders .714, .428, .857: the 2 spare cents
    # go to the third and first lines.
    result = money(
        [(1, "1.00", ()), (1, "2.00", ()), (1, "4.00", ())], (AMOUNT, "0.05")
    )
    assert [str(line.discount_amount) for line in result.lines] == [
        "0.01",
        "0.01",
        "0.03",
    ]


def test_each_rate_is_rounded_on_the_lines_net_amount():
    result = money([(3, "3.33", QUEBEC), (1, "0.99", (GST,))], (PERCENT, "10"))

    first, second = result.lines
    # subtotal 10.98, discount 1.10 (1.098): 9.99/10.98 of it is 1.00082 ->
    # 1.00; 0.99/10.98 of it is 0.09918 -> 0.09, the larger remainder, so
    # the spare cent goes to the second line.
    assert (str(first.discount_amount), str(second.discount_amount)) == ("1.00", "0.10")
    assert str(first.net_amount) == "8.99"
    assert [(t.name, str(t.amount)) for t in first.taxes] == [
        ("GST", "0.45"),  # 0.4495
        ("QST", "0.90"),  # 0.89675
    ]
    assert str(first.tax_amount) == "1.35"
    assert [(t.name, str(t.amount)) for t in second.taxes] == [("GST", "0.04")]
    assert str(result.tax_total) == "1.39"
    assert str(result.total_amount) == "11.27"


def test_thousands_of_lines_add_up_exactly():
    lines = [(1 + i % 7, f"{1 + i % 13}.{i % 100:02d}", QUEBEC) for i in range(5000)]

    result = money(lines, (PERCENT, "12.5"))

    assert sum(line.discount_amount for line in result.lines) == result.discount_total
    assert result.discount_total == round_cents(result.subtotal * D("0.125"))
    assert result.total_amount == (
        result.subtotal - result.discount_total + result.tax_total
    )


@pytest.mark.parametrize(
    ("lines", "discount"),
    [
        ([(1, "5.00", ())], (PERCENT, "0")),
        ([(1, "5.00", ())], (PERCENT, "-1")),
        ([(1, "5.00", ())], (PERCENT, "100.01")),
        ([(1, "5.00", ())], (AMOUNT, "5.01")),
        ([(1, "5.00", ())], (AMOUNT, "0")),
        ([(1, "5.00", ())], (AMOUNT, "-1.00")),
        ([(1, "5.00", ())], (AMOUNT, "1.005")),
        ([], (AMOUNT, "0.01")),
        ([(1, "5.00", ())], ("coupon", "1")),
    ],
)
def test_a_discount_that_cannot_apply_is_refused(lines, discount):
    with pytest.raises(DiscountRefused):
        money(lines, discount)


def test_a_percent_discount_on_no_lines_is_nothing():
    result = money([], (PERCENT, "50"))

    assert (result.subtotal, result.discount_total, result.total_amount) == (0, 0, 0)


# --- Laws ---------------------------------------------------------------------

prices = st.integers(min_value=1, max_value=99_999_999).map(lambda c: D(c).scaleb(-2))
rates = st.integers(min_value=0, max_value=99_999).map(lambda r: D(r).scaleb(-5))
lines = st.lists(
    st.builds(
        Line,
        quantity=st.integers(min_value=1, max_value=1000),
        unit_price=prices,
        rates=st.lists(
            st.builds(Rate, name=st.sampled_from(["A", "B", "C"]), rate=rates),
            max_size=5,
        ).map(tuple),
    ),
    min_size=1,
    max_size=40,
)
percents = st.integers(min_value=1, max_value=10_000).map(lambda c: D(c).scaleb(-2))


@st.composite
def orders(draw):
    drawn = draw(lines)
    subtotal = sum(line.quantity * line.unit_price for line in drawn)
    kind = draw(st.sampled_from([None, PERCENT, AMOUNT]))
    if kind is None:
        return drawn, None
    if kind == PERCENT:
        return drawn, Discount(PERCENT, draw(percents))
    cents = draw(st.integers(min_value=1, max_value=int(subtotal * 100)))
    return drawn, Discount(AMOUNT, D(cents).scaleb(-2))


@settings(max_examples=300, deadline=None)
@given(orders())
def test_the_line_discounts_always_add_up_to_the_discount_total(order):
    result = order_money(*order)

    assert sum(line.discount_amount for line in result.lines) == result.discount_total


@settings(max_examples=300, deadline=None)
@given(orders())
def test_every_amount_is_at_least_zero_and_has_two_places(order):
    result = order_money(*order)

    amounts = [result.subtotal, result.discount_total, result.tax_total]
    amounts.append(result.total_amount)
    for line in result.lines:
        amounts += [line.line_total, line.discount_amount, line.net_amount]
        amounts += [line.tax_amount, *(t.amount for t in line.taxes)]
        assert line.discount_amount <= line.line_total
    assert all(a >= 0 and a == a.quantize(D("0.01")) for a in amounts), amounts
    assert str(result.total_amount).count(".") == 1
    assert len(str(result.total_amount).split(".")[1]) == 2


@settings(max_examples=300, deadline=None)
@given(orders())
def test_the_total_is_subtotal_minus_discount_plus_tax(order):
    result = order_money(*order)

    assert result.total_amount == (
        result.subtotal - result.discount_total + result.tax_total
    )
    assert result.subtotal == sum(line.line_total for line in result.lines)
    assert result.tax_total == sum(line.tax_amount for line in result.lines)
    for line in result.lines:
        assert line.net_amount == line.line_total - line.discount_amount
        assert line.tax_amount == sum(t.amount for t in line.taxes)


@settings(max_examples=300, deadline=None)
@given(orders())
def test_each_share_is_within_a_cent_of_the_exact_proportion(order):
    result = order_money(*order)

    if result.subtotal:
        for line in result.lines:
            exact = result.discount_total * line.line_total / result.subtotal
            assert exact - D("0.01") < line.discount_amount < exact + D("0.01")


@settings(max_examples=200, deadline=None)
@given(orders())
def test_each_tax_is_the_rounded_rate_of_the_net_amount(order):
    result = order_money(*order)

    for line, money_line in zip(order[0], result.lines, strict=True):
        for rate, tax in zip(line.rates, money_line.taxes, strict=True):
            exact = money_line.net_amount * rate.rate
            assert abs(tax.amount - exact) <= D("0.005")
            assert tax.amount == round_cents(exact)


@settings(max_examples=200, deadline=None)
@given(lines)
def test_without_rates_or_discount_the_total_is_the_sum_of_the_lines(drawn):
    plain = [Line(line.quantity, line.unit_price) for line in drawn]

    result = order_money(plain)

    assert result.total_amount == sum(line.quantity * line.unit_price for line in plain)
    assert result.tax_total == result.discount_total == 0


# --- Refunds of returns ----------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "ordered", "paid", "returned", "refunded", "refund"),
    [
        (1, 3, "10.00", 0, "0.00", "3.33"),
        (1, 3, "10.00", 1, "3.33", "3.33"),
        (1, 3, "10.00", 2, "6.66", "3.34"),  # the last takes what is left
        (2, 3, "10.00", 0, "0.00", "6.67"),  # half-up
        (3, 3, "10.00", 0, "0.00", "10.00"),
        (1, 8, "0.04", 0, "0.00", "0.01"),  # 0.005: half-up
        # Seven units for five cents: each share rounds up to a cent, so
        # the sixth finds none left rather than refunding more than was paid.
        (1, 7, "0.05", 5, "0.05", "0.00"),
        (1, 7, "0.05", 6, "0.05", "0.00"),
    ],
)
def test_a_refund_is_the_returned_share_of_what_was_paid(
    quantity, ordered, paid, returned, refunded, refund
):
    assert line_refund(
        quantity=quantity,
        ordered=ordered,
        paid=D(paid),
        returned_before=returned,
        refunded_before=D(refunded),
    ) == D(refund)


@pytest.mark.parametrize(("quantity", "returned"), [(0, 0), (-1, 0), (2, 2), (4, 0)])
def test_a_refund_of_more_than_is_left_is_an_error(quantity, returned):
    with pytest.raises(ValueError):
        line_refund(
            quantity=quantity, ordered=3, paid=D("9.00"), returned_before=returned
        )


@given(
    ordered=st.integers(min_value=1, max_value=60),
    cents=st.integers(min_value=0, max_value=10**9),
    cuts=st.lists(st.integers(min_value=1, max_value=59), max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_returns_in_any_steps_refund_exactly_what_was_paid(ordered, cents, cuts):
    paid = D(cents) / 100
    points = sorted({c for c in cuts if c < ordered})
    steps = [b - a for a, b in zip([0, *points], [*points, ordered], strict=True)]
    returned, refunded = 0, D("0.00")
    for step in steps:
        refund = line_refund(
            quantity=step,
            ordered=ordered,
            paid=paid,
            returned_before=returned,
            refunded_before=refunded,
        )
        assert refund >= 0
        assert refund == refund.quantize(D("0.01"))
        returned, refunded = returned + step, refunded + refund
        assert refunded <= paid
    assert refunded == paid
