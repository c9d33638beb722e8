"""Non-trivial reads of the catalog, for other apps."""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q, Sum

from .models import Product, StockMovement, TaxRate


def stock_moved_for_order(*, order_id: int) -> dict[int, int]:
    """Net stock change per product id that the ledger records for an order."""
    rows = (
        StockMovement.objects.filter(order_id=order_id)
        .values_list("product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {product_id: total for product_id, total in rows if total}


def tax_rates_by_product(
    *,
    products: Iterable[Product],
) -> dict[int, tuple[tuple[str, Decimal], ...]]:
    """Each product's (name, rate) pairs, in order: its class's, or the default's.

    One query, whatever the number of products. Without a default class (a
    database emptied by hand), a product without a class has no rates.
    """
    products = list(products)
    if not products:
        return {}
    classes = {p.tax_class_id for p in products if p.tax_class_id is not None}
    wanted = Q(tax_class__is_default=True)
    if classes:
        wanted |= Q(tax_class_id__in=classes)
    rates: dict[int, list[tuple[str, Decimal]]] = {}
    default = None
    for class_id, is_default, name, rate in (
        TaxRate.objects.filter(wanted)
        .order_by("tax_class_id", "position")
        .values_list("tax_class_id", "tax_class__is_default", "name", "rate")
    ):
        rates.setdefault(class_id, []).append((name, rate))
        if is_default:
            default = class_id
    return {
        p.pk: tuple(
            rates.get(p.tax_class_id if p.tax_class_id is not None else default, ())
        )
        for p in products
    }
