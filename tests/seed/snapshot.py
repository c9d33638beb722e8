"""The whole store as plain data, keyed by natural keys rather than ids.

Two stores built from the same seed get different ids (sequences move on), so
they are compared through SKUs, e-mails, usernames and timestamps instead.
Missing values are "" so that the rows sort.
"""

from catalog.models import Category
from customers.models import Client
from inventory.models import StockLevel, StockMovement
from inventory.selectors import products_with_stock
from sales.models import Order, OrderStatusChange, Return
from staff.models import Employee


def store_snapshot(*, with_times: bool = True) -> dict:
    def when(moment):
        return moment.isoformat() if with_times and moment else ""

    orders = {
        o.pk: o
        for o in Order.objects.select_related(
            "client", "employee", "location"
        ).prefetch_related("lines__product")
    }
    order_key = {
        pk: (o.client.email, when(o.created_at), o.total_amount)
        for pk, o in orders.items()
    }
    return {
        "categories": sorted(Category.objects.values_list("name", flat=True)),
        "products": sorted(
            (
                p.sku,
                p.name,
                p.description,
                p.category.name,
                p.unit_price,
                p.stock,
                p.reorder_level,
                p.is_active,
                p.tax_class.name if p.tax_class else "",
                p.supplier.name if p.supplier else "",
                p.average_cost,
                when(p.created_at),
                when(p.updated_at),
            )
            for p in products_with_stock().select_related(
                "category", "tax_class", "supplier"
            )
        ),
        "stock levels": sorted(
            (
                s.product.sku,
                s.location.code,
                s.on_hand,
                s.reorder_level,
                when(s.updated_at),
            )
            for s in StockLevel.objects.select_related("product", "location")
        ),
        "clients": sorted(
            (c.email, c.name, c.phone, c.address, when(c.created_at))
            for c in Client.objects.all()
        ),
        "employees": sorted(
            (e.name, e.position, e.is_active, e.user.username if e.user else "")
            for e in Employee.objects.select_related("user")
        ),
        "orders": sorted(
            (
                o.client.email,
                o.employee.name if o.employee else "",
                o.location.code,
                o.status,
                o.total_amount,
                o.discount_kind or "",
                o.discount_value or 0,
                o.discount_reason,
                o.subtotal,
                o.discount_total,
                o.tax_total,
                o.notes,
                when(o.created_at),
                when(o.updated_at),
                when(o.confirmed_at),
                when(o.shipped_at),
                when(o.delivered_at),
                when(o.cancelled_at),
                tuple(
                    (
                        line.product.sku,
                        line.quantity,
                        line.unit_price,
                        line.discount_amount,
                        line.net_amount,
                        repr(line.taxes),
                        line.tax_amount,
                    )
                    for line in o.lines.all()
                ),
            )
            for o in orders.values()
        ),
        "history": sorted(
            (
                order_key[h.order_id],
                h.from_status,
                h.to_status,
                when(h.changed_at),
                h.changed_by.username if h.changed_by else "",
            )
            for h in OrderStatusChange.objects.select_related("changed_by")
        ),
        "returns": sorted(
            (
                order_key[r.order_id],
                r.refund_amount,
                when(r.created_at),
                tuple(
                    (
                        line.product.sku,
                        line.quantity,
                        line.restock,
                        line.reason,
                        line.refund_amount,
                    )
                    for line in r.lines.all()
                ),
            )
            for r in Return.objects.prefetch_related("lines__product")
        ),
        "ledger": sorted(
            (
                m.product.sku,
                m.location.code,
                m.quantity,
                m.reason,
                m.note,
                order_key.get(m.order_id, ()),
                m.created_by.username if m.created_by else "",
                when(m.created_at),
            )
            for m in StockMovement.objects.select_related(
                "product", "location", "created_by"
            )
        ),
    }
