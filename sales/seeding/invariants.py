"""The store's bookkeeping rules, checked over the whole database in a few queries.

Used by the tests, by ``seed_demo --check`` and by the seeding benchmark. Each
check is one SQL statement that lists offending rows, so a check of a hundred
thousand orders stays quick.
"""

from django.db import connection

from catalog.models import Product
from inventory.models import StockLevel, StockMovement
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from sales.models import Order, OrderLine, OrderStatusChange, Return, ReturnLine

_CHECKS = {
    "stock differs from the sum of its ledger": """
        SELECT COALESCE(s.product_id, m.product_id) FROM {level} s
        FULL JOIN (
            SELECT product_id, location_id, SUM(quantity) AS moved FROM {movement}
            GROUP BY product_id, location_id
        ) m ON m.product_id = s.product_id AND m.location_id = s.location_id
        WHERE COALESCE(s.on_hand, 0) <> COALESCE(m.moved, 0)
           OR (s.id IS NULL AND m.moved <> 0)
    """,
    "stock is negative": "SELECT product_id FROM {level} WHERE on_hand < 0",
    "order subtotal differs from the sum of its lines": """
        SELECT o.id FROM {order} o
        LEFT JOIN (
            SELECT order_id, SUM(quantity * unit_price) AS amount FROM {line}
            GROUP BY order_id
        ) l ON l.order_id = o.id
        WHERE o.subtotal <> COALESCE(l.amount, 0)
    """,
    "order discount or tax differs from the sum of its lines'": """
        SELECT o.id FROM {order} o
        LEFT JOIN (
            SELECT order_id, SUM(discount_amount) AS discount,
                SUM(tax_amount) AS tax
            FROM {line} GROUP BY order_id
        ) l ON l.order_id = o.id
        WHERE o.discount_total <> COALESCE(l.discount, 0)
           OR o.tax_total <> COALESCE(l.tax, 0)
           OR o.total_amount <> o.subtotal - o.discount_total + o.tax_total
    """,
    "order discount_total differs from its discount": """
        SELECT id FROM {order} WHERE discount_total <> CASE discount_kind
            WHEN 'percent' THEN round(subtotal * discount_value / 100, 2)
            WHEN 'amount' THEN discount_value
            ELSE 0
        END
    """,
    # The spread, independently of sales.money: in cents, each line's floor
    # of discount x line total / subtotal, plus one for the lines with the
    # largest remainders (ties: lower id) while cents are left.
    "line discount is not its largest-remainder share": """
        WITH shares AS (
            SELECT l.id, l.order_id, l.discount_amount * 100 AS given,
                o.discount_total * 100 AS whole,
                div(o.discount_total * 100 * l.quantity * l.unit_price * 100,
                    o.subtotal * 100) AS floor,
                mod(o.discount_total * 100 * l.quantity * l.unit_price * 100,
                    o.subtotal * 100) AS remainder
            FROM {line} l JOIN {order} o ON o.id = l.order_id
            WHERE o.subtotal > 0
        ), ranked AS (
            SELECT id, given, floor,
                row_number() OVER (
                    PARTITION BY order_id ORDER BY remainder DESC, id
                ) AS place,
                whole - SUM(floor) OVER (PARTITION BY order_id) AS left_over
            FROM shares
        )
        SELECT id FROM ranked
        WHERE given <> floor + CASE WHEN place <= left_over THEN 1 ELSE 0 END
    """,
    "line taxes differ from their rates on its net amount": """
        SELECT l.id FROM {line} l
        LEFT JOIN LATERAL (
            SELECT COUNT(*) AS wrong, COALESCE(SUM((t->>'amount')::numeric), 0)
                AS amount
            FROM jsonb_array_elements(l.taxes) t
            WHERE round(l.net_amount * (t->>'rate')::numeric, 2)
                <> (t->>'amount')::numeric
        ) bad ON true
        LEFT JOIN LATERAL (
            SELECT COALESCE(SUM((t->>'amount')::numeric), 0) AS amount
            FROM jsonb_array_elements(l.taxes) t
        ) taxed ON true
        WHERE bad.wrong > 0 OR taxed.amount <> l.tax_amount
           OR l.net_amount <> l.quantity * l.unit_price - l.discount_amount
    """,
    "status timestamps do not match the status": """
        SELECT id FROM {order} WHERE NOT (
            (status = 'draft' AND confirmed_at IS NULL AND shipped_at IS NULL
             AND delivered_at IS NULL AND cancelled_at IS NULL)
         OR (status = 'confirmed' AND confirmed_at IS NOT NULL
             AND shipped_at IS NULL AND delivered_at IS NULL
             AND cancelled_at IS NULL)
         OR (status = 'shipped' AND confirmed_at IS NOT NULL
             AND shipped_at IS NOT NULL AND delivered_at IS NULL
             AND cancelled_at IS NULL)
         OR (status = 'delivered' AND confirmed_at IS NOT NULL
             AND shipped_at IS NOT NULL AND delivered_at IS NOT NULL
             AND cancelled_at IS NULL)
         OR (status = 'cancelled' AND cancelled_at IS NOT NULL
             AND shipped_at IS NULL AND delivered_at IS NULL)
        )
        OR confirmed_at < created_at OR shipped_at < confirmed_at
        OR delivered_at < shipped_at OR cancelled_at < created_at
        OR cancelled_at < confirmed_at
    """,
    "history rows missing or extra for the status": """
        SELECT o.id FROM {order} o
        LEFT JOIN (
            SELECT order_id, COUNT(*) AS changes FROM {history} GROUP BY order_id
        ) h ON h.order_id = o.id
        WHERE COALESCE(h.changes, 0) <> CASE o.status
            WHEN 'draft' THEN 0
            WHEN 'confirmed' THEN 1
            WHEN 'shipped' THEN 2
            WHEN 'delivered' THEN 3
            ELSE CASE WHEN o.confirmed_at IS NULL THEN 1 ELSE 2 END
        END
    """,
    "history row does not match the order's timestamps": """
        SELECT h.id FROM {history} h JOIN {order} o ON o.id = h.order_id
        WHERE NOT (
            (h.from_status = 'draft' AND h.to_status = 'confirmed'
             AND h.changed_at = o.confirmed_at)
         OR (h.from_status = 'confirmed' AND h.to_status = 'shipped'
             AND h.changed_at = o.shipped_at)
         OR (h.from_status = 'shipped' AND h.to_status = 'delivered'
             AND h.changed_at = o.delivered_at)
         OR (h.to_status = 'cancelled' AND h.changed_at = o.cancelled_at
             AND h.from_status = CASE WHEN o.confirmed_at IS NULL
                                      THEN 'draft' ELSE 'confirmed' END)
        )
    """,
    "order line without the ledger movements its order's status implies": """
        SELECT l.id FROM {line} l
        JOIN {order} o ON o.id = l.order_id
        LEFT JOIN (
            SELECT order_id, product_id,
                SUM(CASE WHEN reason = 'sale' THEN quantity ELSE 0 END) AS sold,
                SUM(CASE WHEN reason = 'sale' THEN 1 ELSE 0 END) AS sales,
                SUM(CASE WHEN reason = 'cancellation' THEN quantity ELSE 0 END)
                    AS given_back,
                SUM(CASE WHEN reason = 'cancellation' THEN 1 ELSE 0 END)
                    AS cancellations
            FROM {movement} WHERE order_id IS NOT NULL
            GROUP BY order_id, product_id
        ) m ON m.order_id = l.order_id AND m.product_id = l.product_id
        WHERE CASE
            WHEN o.confirmed_at IS NULL THEN m.order_id IS NOT NULL
            WHEN o.status = 'cancelled' THEN NOT (
                COALESCE(m.sales, 0) = 1 AND COALESCE(m.sold, 0) = -l.quantity
                AND COALESCE(m.cancellations, 0) = 1
                AND COALESCE(m.given_back, 0) = l.quantity)
            ELSE NOT (
                COALESCE(m.sales, 0) = 1 AND COALESCE(m.sold, 0) = -l.quantity
                AND COALESCE(m.cancellations, 0) = 0)
        END
    """,
    "order movement at another location than its order's": """
        SELECT m.id FROM {movement} m JOIN {order} o ON o.id = m.order_id
        WHERE m.location_id <> o.location_id
    """,
    "order movement matches no order line": """
        SELECT m.id FROM {movement} m
        LEFT JOIN {line} l
            ON l.order_id = m.order_id AND l.product_id = m.product_id
        WHERE (m.order_id IS NOT NULL AND l.id IS NULL)
           OR (m.reason IN ('sale', 'cancellation') AND m.order_id IS NULL)
    """,
    "purchase line received more than ordered, or less than nothing": """
        SELECT id FROM {po_line}
        WHERE received_quantity > quantity OR received_quantity < 0
    """,
    "purchase line received differs from its purchase movements": """
        SELECT l.id FROM {po_line} l
        JOIN {po} po ON po.id = l.purchase_order_id
        LEFT JOIN (
            SELECT purchase_order_id, product_id, location_id,
                SUM(quantity) AS received, COUNT(*) AS movements,
                SUM(CASE WHEN reason = 'purchase' THEN 0 ELSE 1 END) AS other,
                MIN(unit_cost) AS low, MAX(unit_cost) AS high
            FROM {movement} WHERE purchase_order_id IS NOT NULL
            GROUP BY purchase_order_id, product_id, location_id
        ) m ON m.purchase_order_id = l.purchase_order_id
            AND m.product_id = l.product_id
        WHERE COALESCE(m.received, 0) <> l.received_quantity
           OR m.location_id <> po.location_id OR m.other > 0
           OR m.low <> l.unit_cost OR m.high <> l.unit_cost
    """,
    "purchase order status does not match its lines": """
        SELECT po.id FROM {po} po
        JOIN (
            SELECT purchase_order_id, SUM(received_quantity) AS received,
                SUM(quantity - received_quantity) AS awaited
            FROM {po_line} GROUP BY purchase_order_id
        ) l ON l.purchase_order_id = po.id
        WHERE CASE po.status
            WHEN 'received' THEN l.awaited <> 0
            WHEN 'partially_received' THEN l.received = 0 OR l.awaited = 0
            WHEN 'closed' THEN l.received = 0 OR l.awaited = 0
            ELSE l.received <> 0
        END
    """,
    # The contract's formula replayed over each product's receipts in ledger
    # order, S being the product's stock over every location before each one.
    # Exact for a history written one change at a time (the demo's); a
    # receipt racing a sale may have read the stock a moment apart.
    "average cost is not its receipts' moving average": """
        WITH RECURSIVE moves AS (
            SELECT id, product_id, quantity, reason, unit_cost,
                COALESCE(SUM(quantity) OVER (
                    PARTITION BY product_id ORDER BY id
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ), 0) AS stock
            FROM {movement}
        ), receipts AS (
            SELECT product_id, quantity, unit_cost, stock,
                row_number() OVER (PARTITION BY product_id ORDER BY id) AS n
            FROM moves WHERE reason = 'purchase'
        ), replay AS (
            SELECT product_id, n, unit_cost AS average
            FROM receipts WHERE n = 1 AND stock <= 0
            UNION ALL
            SELECT product_id, n,
                round(quantity * unit_cost / (stock + quantity), 4)
            FROM receipts WHERE n = 1 AND stock > 0
            UNION ALL
            SELECT r.product_id, r.n, CASE WHEN r.stock <= 0 THEN r.unit_cost
                ELSE round((r.stock * p.average + r.quantity * r.unit_cost)
                    / (r.stock + r.quantity), 4) END
            FROM receipts r JOIN replay p
                ON p.product_id = r.product_id AND r.n = p.n + 1
        ), latest AS (
            SELECT DISTINCT ON (product_id) product_id, average FROM replay
            ORDER BY product_id, n DESC
        )
        SELECT p.id FROM {product} p
        LEFT JOIN latest ON latest.product_id = p.id
        WHERE p.average_cost <> COALESCE(latest.average, 0)
    """,
    "order refunds differ from its returns' or exceed its total": """
        SELECT o.id FROM {order} o
        LEFT JOIN (
            SELECT order_id, SUM(refund_amount) AS refunded FROM {return}
            GROUP BY order_id
        ) r ON r.order_id = o.id
        WHERE o.refunded_amount <> COALESCE(r.refunded, 0)
           OR o.refunded_amount > o.total_amount OR o.refunded_amount < 0
    """,
    "return refund differs from the sum of its lines'": """
        SELECT r.id FROM {return} r
        LEFT JOIN (
            SELECT return_id, SUM(refund_amount) AS refunded FROM {return_line}
            GROUP BY return_id
        ) l ON l.return_id = r.id
        WHERE r.refund_amount <> COALESCE(l.refunded, -1)
    """,
    "return of an order that was never shipped, or at another location": """
        SELECT r.id FROM {return} r JOIN {order} o ON o.id = r.order_id
        WHERE o.status NOT IN ('shipped', 'delivered')
           OR r.location_id <> o.location_id
           OR r.created_at < o.shipped_at
    """,
    "line returned quantity differs from its return lines'": """
        SELECT l.id FROM {line} l
        LEFT JOIN (
            SELECT order_line_id, SUM(quantity) AS returned,
                SUM(refund_amount) AS refunded
            FROM {return_line} GROUP BY order_line_id
        ) rl ON rl.order_line_id = l.id
        WHERE l.returned_quantity <> COALESCE(rl.returned, 0)
           OR l.returned_quantity > l.quantity
           OR COALESCE(rl.refunded, 0) > l.net_amount + l.tax_amount
           OR (l.returned_quantity = l.quantity
               AND COALESCE(rl.refunded, 0) <> l.net_amount + l.tax_amount)
    """,
    "return line of another order or product than its order line's": """
        SELECT rl.id FROM {return_line} rl
        JOIN {return} r ON r.id = rl.return_id
        JOIN {line} l ON l.id = rl.order_line_id
        WHERE l.order_id <> r.order_id OR l.product_id <> rl.product_id
    """,
    "restocked units differ from the return's movements": """
        SELECT COALESCE(rl.return_id, m.return_id) FROM (
            SELECT return_id, product_id, SUM(quantity) AS restocked
            FROM {return_line} WHERE restock GROUP BY return_id, product_id
        ) rl
        FULL JOIN (
            SELECT m.return_id, m.product_id, SUM(m.quantity) AS moved,
                COALESCE(bool_and(m.reason = 'return' AND m.order_id = r.order_id
                         AND m.location_id = r.location_id), false) AS matches
            FROM {movement} m LEFT JOIN {return} r ON r.id = m.return_id
            WHERE m.return_id IS NOT NULL GROUP BY m.return_id, m.product_id
        ) m ON m.return_id = rl.return_id AND m.product_id = rl.product_id
        WHERE rl.restocked IS DISTINCT FROM m.moved OR NOT m.matches
    """,
}


def invariant_violations() -> dict[str, list[int]]:
    """Map each broken rule to the ids of its offending rows; empty if all hold."""
    tables = {
        "movement": StockMovement,
        "level": StockLevel,
        "order": Order,
        "line": OrderLine,
        "history": OrderStatusChange,
        "po": PurchaseOrder,
        "po_line": PurchaseOrderLine,
        "product": Product,
        "return": Return,
        "return_line": ReturnLine,
    }
    names = {
        key: connection.ops.quote_name(model._meta.db_table)
        for key, model in tables.items()
    }
    found = {}
    with connection.cursor() as cursor:
        for rule, query in _CHECKS.items():
            # No ORDER BY ... LIMIT here: with a limit PostgreSQL prefers
            # nested loops that expect to stop early, and a check that finds
            # nothing never stops early.
            cursor.execute(query.format(**names))
            ids = sorted(row[0] for row in cursor.fetchall())
            if ids:
                found[rule] = ids
    return found
