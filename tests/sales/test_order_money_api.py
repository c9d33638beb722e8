"""Taxes and discounts on orders through the API, to the cent, as exact strings."""

import random
from decimal import Decimal

import pytest

from catalog.models import TaxClass
from catalog.services import RateSpec, tax_class_create, tax_class_update
from sales import services
from sales.models import Order, OrderLine
from sales.seeding import invariant_violations
from tests.factories import ClientFactory, OrderFactory, ProductFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"
GST_QST = [
    RateSpec(name="GST", rate=Decimal("0.05")),
    RateSpec(name="QST", rate=Decimal("0.09975")),
]


@pytest.fixture
def quebec():
    return tax_class_create(name="Quebec", rates=GST_QST)


def taxed(price: str, tax_class=None, **kwargs):
    return ProductFactory(unit_price=Decimal(price), tax_class=tax_class, **kwargs)


def create(api, lines, **body):
    return api.post(
        URL,
        {
            "client": ClientFactory().pk,
            "lines": [{"product": p.pk, "quantity": q} for p, q in lines],
            **body,
        },
        format="json",
    )


def money_of(order: dict) -> tuple:
    return tuple(
        order[k] for k in ("subtotal", "discount_total", "tax_total", "total_amount")
    )


def stored():
    """Everything the database holds about orders, to compare before and after."""
    return (
        list(Order.objects.order_by("pk").values()),
        list(OrderLine.objects.order_by("pk").values()),
    )


def test_a_draft_is_answered_as_it_is_read_back(manager_api, quebec):
    # The answer to a create or an update is written from what the INSERT
    # returned; a later read of the same draft must give the same JSON.
    lines = [(taxed("19.99", quebec), 3), (taxed("0.15"), 7), (taxed("4.05"), 1)]
    discount = {"kind": "percent", "value": "12.50", "reason": "Staff"}

    created = create(manager_api, lines, discount=discount)
    order = created.json()
    read_after_create = manager_api.get(f"{URL}{order['id']}/").json()
    replaced = manager_api.patch(
        f"{URL}{order['id']}/",
        {"lines": [{"product": lines[2][0].pk, "quantity": 4}]},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert [line["product"] for line in order["lines"]] == [p.pk for p, _ in lines]
    assert order["refunded_amount"] == "0.00"
    assert order == read_after_create
    assert replaced.status_code == 200, replaced.content
    assert len(replaced.json()["lines"]) == 1
    assert replaced.json() == manager_api.get(f"{URL}{order['id']}/").json()


def test_each_line_copies_its_rates_and_is_taxed_per_rate(manager_api, quebec):
    hammer = taxed("19.99", quebec, name="Hammer")
    nails = taxed("0.15", name="Nails")  # the default class: Standard, no rates

    response = create(manager_api, [(hammer, 2), (nails, 7)])

    assert response.status_code == 201, response.content
    body = response.json()
    first, second = body["lines"]
    assert first["line_total"] == "39.98"
    assert first["discount_amount"] == "0.00"
    assert first["net_amount"] == "39.98"
    # 39.98 x 0.05 = 1.999 -> 2.00; 39.98 x 0.09975 = 3.988005 -> 3.99
    assert first["taxes"] == [
        {"name": "GST", "rate": "0.05000", "amount": "2.00"},
        {"name": "QST", "rate": "0.09975", "amount": "3.99"},
    ]
    assert first["tax_amount"] == "5.99"
    assert (second["taxes"], second["tax_amount"], second["net_amount"]) == (
        [],
        "0.00",
        "1.05",
    )
    assert body["discount"] is None
    assert money_of(body) == ("41.03", "0.00", "5.99", "47.02")
    assert manager_api.get(f"{URL}{body['id']}/").json() == body


def test_an_amount_discount_is_spread_by_largest_remainder_ties_to_the_lower_id(
    manager_api, quebec
):
    products = [taxed("10.00", quebec) for _ in range(3)]

    body = create(
        manager_api,
        [(p, 1) for p in products],
        discount={"kind": "amount", "value": "10.00", "reason": "Loyal client"},
    ).json()

    assert body["discount"] == {
        "kind": "amount",
        "value": "10.00",
        "reason": "Loyal client",
    }
    lines = sorted(body["lines"], key=lambda line: line["id"])
    assert [line["discount_amount"] for line in lines] == ["3.34", "3.33", "3.33"]
    assert [line["net_amount"] for line in lines] == ["6.66", "6.67", "6.67"]
    # 6.66: GST 0.333 -> 0.33, QST 0.664335 -> 0.66; 6.67: 0.3335 -> 0.33,
    # 0.6653325 -> 0.67.
    assert [line["tax_amount"] for line in lines] == ["0.99", "1.00", "1.00"]
    assert money_of(body) == ("30.00", "10.00", "2.99", "22.99")


def test_a_percent_discount_rounds_half_up_and_the_cents_go_to_the_largest_share(
    manager_api,
):
    small, large = taxed("1.00"), taxed("2.00")

    five = {"kind": "percent", "value": "5"}
    body = create(manager_api, [(small, 1), (large, 1)], discount=five).json()

    # 5 % of 3.00 = 0.15: shares 0.05 and 0.10, exact.
    assert [line["discount_amount"] for line in body["lines"]] == ["0.05", "0.10"]
    assert body["discount"]["value"] == "5.00"
    url = f"{URL}{body['id']}/"
    # 12.5 % of 3.00 = 0.375 -> 0.38: shares 0.12666 and 0.25333, floors
    # 0.12 and 0.25; the cent left goes to the first, the larger remainder.
    body = manager_api.patch(
        url, {"discount": {"kind": "percent", "value": "12.5"}}, format="json"
    ).json()
    assert [line["discount_amount"] for line in body["lines"]] == ["0.13", "0.25"]
    assert money_of(body) == ("3.00", "0.38", "0.00", "2.62")


def test_a_hundred_percent_discount_leaves_nothing_to_pay_or_tax(manager_api, quebec):
    body = create(
        manager_api,
        [(taxed("9.99", quebec), 3)],
        discount={"kind": "percent", "value": "100"},
    ).json()

    assert money_of(body) == ("29.97", "29.97", "0.00", "0.00")
    assert body["lines"][0]["taxes"][1] == {
        "name": "QST",
        "rate": "0.09975",
        "amount": "0.00",
    }


def test_a_one_cent_order_pays_no_rounded_tax(manager_api, quebec):
    body = create(manager_api, [(taxed("0.01", quebec), 1)]).json()

    assert money_of(body) == ("0.01", "0.00", "0.00", "0.01")


def test_changing_the_discount_alone_recomputes_and_keeps_the_lines(
    manager_api, quebec
):
    product = taxed("100.00", quebec)
    body = create(manager_api, [(product, 1)]).json()
    url = f"{URL}{body['id']}/"
    line_ids = [line["id"] for line in body["lines"]]
    product.unit_price = Decimal("200.00")
    product.save()

    discounted = manager_api.patch(
        url, {"discount": {"kind": "amount", "value": "20.00"}}, format="json"
    ).json()

    assert [line["id"] for line in discounted["lines"]] == line_ids
    assert discounted["lines"][0]["unit_price"] == "100.00"  # as written
    # net 80.00: GST 4.00, QST 7.98
    assert money_of(discounted) == ("100.00", "20.00", "11.98", "91.98")
    kept = manager_api.patch(url, {"notes": "Gift"}, format="json").json()
    assert kept["discount"] == discounted["discount"]
    assert money_of(kept) == money_of(discounted)
    removed = manager_api.patch(url, {"discount": None}, format="json").json()
    assert removed["discount"] is None
    assert money_of(removed) == ("100.00", "0.00", "14.98", "114.98")
    assert manager_api.get(url).json() == removed


def test_an_amount_above_the_subtotal_is_400_and_writes_nothing(manager_api):
    product = taxed("5.00")
    before = stored()

    response = create(
        manager_api, [(product, 1)], discount={"kind": "amount", "value": "5.01"}
    )

    assert_error(response, 400, code="discount_above_subtotal", attr="discount")
    assert stored() == before


def test_lines_that_would_leave_an_amount_above_the_subtotal_are_400(manager_api):
    dear, cheap = taxed("50.00"), taxed("1.00")
    body = create(
        manager_api, [(dear, 1)], discount={"kind": "amount", "value": "20.00"}
    ).json()
    before = stored()

    response = manager_api.patch(
        f"{URL}{body['id']}/",
        {"lines": [{"product": cheap.pk, "quantity": 3}]},
        format="json",
    )

    assert_error(response, 400, code="discount_above_subtotal", attr="discount")
    assert stored() == before
    emptied = manager_api.patch(f"{URL}{body['id']}/", {"lines": []}, format="json")
    assert_error(emptied, 400, attr="discount")
    assert stored() == before


@pytest.mark.parametrize(
    "discount",
    [
        {"kind": "percent", "value": "0"},
        {"kind": "percent", "value": "0.00"},
        {"kind": "percent", "value": "-5"},
        {"kind": "percent", "value": "100.01"},
        {"kind": "percent", "value": "12.345"},
        {"kind": "amount", "value": "0"},
        {"kind": "amount", "value": "-1.00"},
        {"kind": "amount", "value": "1.005"},
        {"kind": "amount", "value": "1e2"},
        {"kind": "amount", "value": 5},
        {"kind": "amount", "value": "NaN"},
        {"kind": "amount", "value": "99999999999.00"},
        {"kind": "coupon", "value": "5"},
        {"kind": "amount"},
        {"value": "5"},
        {"kind": "percent", "value": "5", "reason": 7},
        {"kind": "percent", "value": "5", "reason": "x" * 201},
        {},
        "10%",
        [],
    ],
)
def test_bad_discounts_are_400_and_write_nothing(manager_api, discount):
    product = taxed("50.00")
    draft = OrderFactory(lines=[(product, 1)])
    before = stored()

    created = create(manager_api, [(product, 1)], discount=discount)
    patched = manager_api.patch(
        f"{URL}{draft.pk}/", {"discount": discount}, format="json"
    )

    assert_error(created, 400)
    assert_error(patched, 400)
    assert stored() == before


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_discount_on_a_non_draft_is_409_and_changes_nothing(manager_api, action):
    order = OrderFactory(lines=[(taxed("50.00"), 1)])
    services.order_transition(order_id=order.pk, action=action)
    before = stored()

    response = manager_api.patch(
        f"{URL}{order.pk}/",
        {"discount": {"kind": "percent", "value": "10"}},
        format="json",
    )

    assert_error(response, 409)
    assert stored() == before


def test_changing_a_tax_class_never_changes_an_existing_order(manager_api, quebec):
    product = taxed("100.00", quebec)
    draft = create(manager_api, [(product, 1)]).json()
    confirmed = create(manager_api, [(product, 1)]).json()
    assert manager_api.post(f"{URL}{confirmed['id']}/confirm/").status_code == 200
    confirmed = manager_api.get(f"{URL}{confirmed['id']}/").json()

    tax_class_update(
        tax_class=quebec, rates=[RateSpec(name="HST", rate=Decimal("0.15"))]
    )
    TaxClass.objects.filter(pk=quebec.pk).update(name="Renamed")

    assert manager_api.get(f"{URL}{draft['id']}/").json() == draft
    assert manager_api.get(f"{URL}{confirmed['id']}/").json() == confirmed
    # A new line copies the class as it is now.
    rewritten = manager_api.patch(
        f"{URL}{draft['id']}/",
        {"lines": [{"product": product.pk, "quantity": 1}]},
        format="json",
    ).json()
    assert rewritten["lines"][0]["taxes"] == [
        {"name": "HST", "rate": "0.15000", "amount": "15.00"}
    ]
    assert rewritten["total_amount"] == "115.00"


def test_a_product_without_a_class_takes_the_default_class_rates(manager_api):
    standard = TaxClass.objects.get(is_default=True)
    tax_class_update(tax_class=standard, rates=GST_QST[:1])

    body = create(manager_api, [(taxed("20.00"), 1)]).json()

    assert body["lines"][0]["taxes"] == [
        {"name": "GST", "rate": "0.05000", "amount": "1.00"}
    ]
    assert body["total_amount"] == "21.00"


def test_the_order_list_reads_the_money_in_constant_queries(
    manager_api, quebec, django_assert_max_num_queries
):
    products = [taxed(f"{n}.99", quebec) for n in range(1, 6)]
    for n in range(30):
        lines = [(p, 1 + n % 3) for p in products[: 1 + n % 5]]
        discount = {"kind": "percent", "value": "7.5"} if n % 2 else None
        assert create(manager_api, lines, discount=discount).status_code == 201

    with django_assert_max_num_queries(5):
        page = manager_api.get(f"{URL}?page_size=50").json()

    assert page["count"] == 30
    for order in page["results"][:5]:
        assert manager_api.get(f"{URL}{order['id']}/").json() == order
    ordered = manager_api.get(f"{URL}?ordering=-total_amount&page_size=50").json()
    totals = [Decimal(o["total_amount"]) for o in ordered["results"]]
    assert totals == sorted(totals, reverse=True)


def test_every_order_written_keeps_the_money_rules_the_check_verifies(quebec):
    """Many orders through the services, checked by the SQL of ``--check``."""
    rng = random.Random(19)
    gst_only = tax_class_create(name="GST only", rates=GST_QST[:1])
    classes = [quebec, gst_only, None]
    products = [
        taxed(f"{rng.randint(0, 300)}.{rng.randint(1, 99):02d}", rng.choice(classes))
        for _ in range(12)
    ]
    for _ in range(40):
        chosen = rng.sample(products, rng.randint(1, 6))
        specs = [services.LineSpec(p, rng.randint(1, 9)) for p in chosen]
        order = services.order_create(client=ClientFactory(), lines=specs)
        subtotal = order.subtotal
        kind = rng.choice(["percent", "amount", None])
        if kind == "percent":
            value = Decimal(rng.randint(1, 10000)).scaleb(-2)
        else:
            value = Decimal(rng.randint(1, int(subtotal * 100))).scaleb(-2)
        discount = None if kind is None else services.money.Discount(kind, value)
        services.order_update(order=order, discount=discount)
        if rng.random() < 0.5:
            services.order_update(order=order, lines=specs[::-1])

    assert invariant_violations() == {}
