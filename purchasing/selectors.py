"""Reads of purchasing: reorder suggestions and the last cost paid."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from catalog.models import Product, Supplier
from inventory.models import Location, StockLevel, StockMovement

from .models import AWAITING, PurchaseOrder, PurchaseOrderLine

SALES_DAYS = 30
DEFAULT_COVER_DAYS = 14
# The lead time of a product without a supplier: a new supplier's default.
DEFAULT_LEAD_TIME_DAYS = Supplier._meta.get_field("lead_time_days").default

_MOVEMENT = StockMovement._meta.db_table
_R = StockMovement.Reason

# Every figure of a location's suggestions in one statement, by aggregates:
# the units sold there (the ledger's sales of the orders confirmed there in
# the window, net of their cancellations since: an order cancelled later
# gave its units back), what its open purchase orders still await, and each
# product's stock level there; then the contract's formula on them, so that
# only the products that need ordering leave the database. Products without
# a stock level or sales there can need nothing (their target is 0), so they
# are left out. The ORM's equivalent is a ``Product`` query with three
# ``Subquery`` annotations; the statement is written out to keep each
# aggregate a single grouped scan, and each recent order's movements are
# read by its index (LATERAL ... OFFSET 0): the planner otherwise hashed
# every sale of the location's history.
_SUGGESTIONS = f"""
    WITH recent AS (
        SELECT DISTINCT order_id FROM {_MOVEMENT}
        WHERE reason = '{_R.SALE}' AND location_id = %(location)s
            AND created_at >= %(since)s
    ), sold AS (
        SELECT m.product_id, -SUM(m.quantity) AS units
        FROM recent r CROSS JOIN LATERAL (
            SELECT product_id, quantity FROM {_MOVEMENT}
            WHERE order_id = r.order_id AND location_id = %(location)s
                AND reason IN ('{_R.SALE}', '{_R.CANCELLATION}')
            OFFSET 0
        ) m
        GROUP BY m.product_id
    ), incoming AS (
        SELECT l.product_id, SUM(l.quantity - l.received_quantity) AS units
        FROM {PurchaseOrderLine._meta.db_table} l
        JOIN {PurchaseOrder._meta.db_table} po ON po.id = l.purchase_order_id
        WHERE po.location_id = %(location)s AND po.status = ANY(%(awaiting)s)
        GROUP BY l.product_id
    ), figures AS (
        SELECT p.id, p.sku, p.name, p.supplier_id,
            COALESCE(s.on_hand, 0) AS on_hand,
            COALESCE(i.units, 0)::bigint AS incoming,
            COALESCE(s.reorder_level, 0) AS reorder_level,
            -- round() of a numeric is half away from zero: half-up, here.
            round(COALESCE(sold.units, 0)::numeric / {SALES_DAYS}, 2) AS daily,
            COALESCE(sup.lead_time_days, {DEFAULT_LEAD_TIME_DAYS}) AS lead_time
        FROM {Product._meta.db_table} p
        LEFT JOIN {StockLevel._meta.db_table} s
            ON s.product_id = p.id AND s.location_id = %(location)s
        LEFT JOIN sold ON sold.product_id = p.id
        LEFT JOIN incoming i ON i.product_id = p.id
        LEFT JOIN {Supplier._meta.db_table} sup ON sup.id = p.supplier_id
        WHERE p.is_active AND (s.id IS NOT NULL OR sold.product_id IS NOT NULL)
    )
    SELECT id, sku, name, supplier_id, on_hand, incoming, reorder_level, daily,
        suggested
    FROM figures, LATERAL (
        SELECT (GREATEST(reorder_level, ceil(daily * (lead_time + %(cover)s)))
            - on_hand - incoming)::bigint AS suggested
    ) formula
    WHERE suggested > 0
    ORDER BY name, id
"""


@dataclass(frozen=True)
class Suggestion:
    product: int
    sku: str | None
    name: str
    supplier: int | None
    on_hand: int
    incoming: int
    reorder_level: int
    daily_sales: Decimal
    suggested_quantity: int


def reorder_suggestions(
    *,
    location: Location,
    cover_days: int = DEFAULT_COVER_DAYS,
    now: datetime | None = None,
) -> list[Suggestion]:
    """What to order for ``location`` to last ``cover_days`` beyond each
    supplier's lead time: the products whose suggested quantity is above 0.

    One query, whatever the number of products or orders. Active products
    only: a deactivated one is not bought again.
    """
    since = (now or timezone.now()) - timedelta(days=SALES_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            _SUGGESTIONS,
            {
                "location": location.pk,
                "since": since,
                "awaiting": list(AWAITING),
                "cover": cover_days,
            },
        )
        return [Suggestion(*row) for row in cursor.fetchall()]


def last_purchase_costs(*, product_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each product's unit cost on its latest receipt (any location); a
    product never received is absent. One query."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    latest = (
        StockMovement.objects.filter(
            product_id__in=ids, reason=_R.PURCHASE, unit_cost__isnull=False
        )
        .order_by("product_id", "-created_at", "-id")
        .distinct("product_id")
        .values_list("product_id", "unit_cost")
    )
    return dict(latest)
