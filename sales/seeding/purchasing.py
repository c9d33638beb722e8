"""The demo's suppliers and purchase orders, written through the services.

Run after either writer has written the plan, at the end of its history, so
that both give the same store. Every product but one in ten gets a preferred
supplier and is bought once (so it has an average cost); a few more purchase
orders show every other status, a receipt in two parts among them.
"""

from decimal import ROUND_HALF_UP, Decimal

from catalog.models import Product
from catalog.services import product_update, supplier_create
from purchasing.services import (
    PurchaseLineSpec,
    purchase_order_create,
    purchase_order_transition,
)

from .clock import simulated_clock
from .plan import Plan, to_datetime

# (name, lead time in days, active): the last one is no longer bought from.
SUPPLIERS = (
    ("Laurentian Wholesale", 5, True),
    ("Maple Leaf Distributors", 7, True),
    ("Pacific Goods Co.", 14, True),
    ("Old Harbour Trading", 10, False),
)
_FOURTH = Decimal("0.0001")
# What the shop pays, as a share of its price, on the first and later orders.
_FIRST_COST, _LATER_COST = Decimal("0.55"), Decimal("0.6")
OPENING_QUANTITY = 12


def _cost(product: Product, share: Decimal) -> Decimal:
    return (product.unit_price * share).quantize(_FOURTH, rounding=ROUND_HALF_UP)


def seed_purchasing(plan: Plan, users, *, suppliers: int = 3) -> None:
    buyer, keeper = users["manager"], users["warehouse"]
    with simulated_clock() as clock:
        clock.set(to_datetime(plan.now))
        made = [
            supplier_create(
                name=name,
                email=f"orders@{name.split()[0].lower()}.example",
                lead_time_days=lead_time,
                is_active=active,
            )
            for name, lead_time, active in (*SUPPLIERS[:suppliers], SUPPLIERS[-1])
        ]
        active = [s for s in made if s.is_active]
        by_supplier = {s.pk: [] for s in active}
        products = Product.objects.order_by("sku", "pk")
        for index, product in enumerate(products):
            if index % 10 == 9:
                continue  # bought wherever: no preferred supplier
            supplier = active[index % len(active)]
            product_update(product=product, supplier=supplier)
            by_supplier[supplier.pk].append(product)

        def purchase(supplier, lines, *steps, share=_LATER_COST):
            if not lines:
                return None
            purchase_order = purchase_order_create(
                supplier=supplier,
                lines=[PurchaseLineSpec(p, q, _cost(p, share)) for p, q in lines],
                by=buyer,
            )
            for action, received in steps:
                purchase_order_transition(
                    purchase_order_id=purchase_order.pk,
                    action=action,
                    by=keeper if action == "receive" else buyer,
                    received=received,
                )
            return purchase_order

        # The opening purchase of each supplier's products, received (the
        # first supplier's in two parts): every one of them gets its cost.
        for number, supplier in enumerate(active):
            lines = [(p, OPENING_QUANTITY) for p in by_supplier[supplier.pk]]
            half = {p.pk: OPENING_QUANTITY // 2 for p, _ in lines}
            steps = [("order", None), ("receive", half if number == 0 else None)]
            if number == 0:
                steps.append(("receive", None))
            purchase(supplier, lines, *steps, share=_FIRST_COST)
        first, second, third = (
            by_supplier[active[n % len(active)].pk] for n in range(3)
        )
        # A second order of a few, at a higher cost: part of it is in.
        if first:
            purchase(
                active[0],
                [(p, 6) for p in first[:3]],
                ("order", None),
                ("receive", {first[0].pk: 4}),
            )
        purchase(
            active[1 % len(active)],
            [(p, 6) for p in second[:2]],
            ("order", None),
            ("receive", {p.pk: 2 for p in second[:1]}),
            ("close", None),
        )
        purchase(active[2 % len(active)], [(p, 10) for p in third[:2]], ("order", None))
        purchase(active[0], [(p, 8) for p in first[-2:]])  # a draft
        purchase(
            active[1 % len(active)],
            [(p, 5) for p in second[2:3]],
            ("order", None),
            ("cancel", None),
        )
