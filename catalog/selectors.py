"""Non-trivial reads of the catalog, for other apps."""

from django.db.models import Sum

from .models import StockMovement


def stock_moved_for_order(*, order_id: int) -> dict[int, int]:
    """Net stock change per product id that the ledger records for an order."""
    rows = (
        StockMovement.objects.filter(order_id=order_id)
        .values_list("product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {product_id: total for product_id, total in rows if total}
