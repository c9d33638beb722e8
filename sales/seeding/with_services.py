"""Write a plan through the services the API uses, one business step at a time.

Every order is created, confirmed, shipped, delivered or cancelled by
``sales.services``; every stock change goes through ``inventory.services``. The
invariants (stock equals the ledger, totals, history) are therefore the
services' own. Fast enough for a few thousand orders; beyond that, see
``with_copy``.
"""

from collections.abc import Callable

from catalog.models import Category, Product, TaxClass
from customers.services import client_create
from inventory.services import product_create, stock_adjust
from sales.models import Order
from sales.services import LineSpec, order_create, order_transition
from staff.models import Employee

from .clock import simulated_clock
from .plan import ADJUST, CREATE, Plan, cents_to_decimal, to_datetime
from .progress import ProgressBar


def write_with_services(
    plan: Plan,
    *,
    categories: list[Category],
    tax_classes: list[TaxClass],
    employees: list[Employee],
    users: dict,
    progress: Callable[[str, int], ProgressBar],
) -> None:
    with simulated_clock() as clock:
        products: list[Product] = []
        with progress("products", len(plan.products)) as bar:
            for planned in plan.products:
                clock.set(to_datetime(planned.created_at))
                products.append(
                    product_create(
                        category=categories[planned.category],
                        name=planned.name,
                        sku=planned.sku,
                        description=planned.description,
                        unit_price=cents_to_decimal(planned.price_cents),
                        reorder_level=planned.reorder_level,
                        stock=planned.opening_stock,
                        tax_class=tax_classes[planned.tax_class],
                        by=users["manager"],
                    )
                )
                bar.advance()
        clients = []
        with progress("clients", len(plan.clients)) as bar:
            for planned in plan.clients:
                clock.set(to_datetime(planned.created_at))
                clients.append(
                    client_create(
                        name=planned.name,
                        email=planned.email,
                        phone=planned.phone,
                        address=planned.address,
                    )
                )
                bar.advance()
        orders: dict[int, Order] = {}
        with progress("orders and stock", len(plan.events)) as bar:
            for when, kind, index, detail in plan.events:
                clock.set(to_datetime(when))
                if kind == CREATE:
                    planned = plan.orders[index]
                    orders[index] = order_create(
                        client=clients[planned.client],
                        employee=(
                            None
                            if planned.employee is None
                            else employees[planned.employee]
                        ),
                        lines=[
                            LineSpec(product=products[p], quantity=q)
                            for p, q in planned.lines
                        ],
                        notes=planned.notes,
                        discount=planned.discount,
                    )
                elif kind == ADJUST:
                    quantity, reason, note, role = detail
                    stock_adjust(
                        product=products[index],
                        quantity=quantity,
                        reason=reason,
                        note=note,
                        by=users[role],
                    )
                else:
                    order_transition(
                        order_id=orders[index].pk, action=kind, by=users[detail]
                    )
                bar.advance()
