"""The reports: sales and stock value, each one SQL statement grouped by PostgreSQL.

A sale counts on the local date (``settings.STORE_TIME_ZONE``) its order was
confirmed, unless the order was cancelled since; its money is its lines'
``net_amount`` and ``tax_amount``. Refunds are their own part of the
statement (``_refunds_sql``), by the local date they were made, so the sales
part never changes when they do. By period, closed days are read from
``SalesDay``, which the first report of a day fills and the database empties
again when a sale or return of that day changes; the other days, today's
among them, from the orders.

The statements are written out: the ORM has no ``generate_series`` to fill
empty periods in, nor a way to group one aggregate by a key chosen at run
time and join its labels after the limit. Every value reaches PostgreSQL as
a parameter; only the fixed fragments of ``GROUPINGS`` are spliced in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import F

from catalog.models import Category, Product
from customers.models import Client
from inventory.models import Location, StockLevel
from inventory.selectors import products_with_stock
from reports.models import SalesDay
from sales.models import (
    SOLD_STATUSES,
    Order,
    OrderLine,
    OrderStatus,
    Return,
    ReturnLine,
)
from staff.models import Employee

PERIODS = ("day", "week", "month")
GROUP_BYS = (*PERIODS, "product", "category", "employee", "client", "location")
DEFAULT_DAYS = 30
# date_to - date_from at most this many days: a leap year's 366 days inclusive.
MAX_SPAN_DAYS = 365
DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
# Days of sales behind the inventory report's daily rate.
COVER_DAYS = 30

_ZERO = Decimal("0.00")
_CENT, _TENTH = Decimal("0.01"), Decimal("0.1")


@dataclass(frozen=True)
class _Grouping:
    """How a ``group_by`` other than a period keys a sold line, and where its
    label is."""

    key: str  # an expression over o (the order), l (the line), p (its product)
    # The same key of a refund: over r (the return), rl (its line), p (the
    # line's product), o (the returned order).
    refund_key: str = ""
    needs_product: bool = False
    # (table, name column) of the entity the key is the id of.
    label_of: tuple[str, str] | None = None
    # An order with lines in several groups (product, category) counts in
    # each, so the orders of every group together are counted apart.
    order_in_one_group: bool = True


GROUPINGS = {
    "product": _Grouping(
        "l.product_id",
        refund_key="rl.product_id",
        label_of=(Product._meta.db_table, "name"),
        order_in_one_group=False,
    ),
    "category": _Grouping(
        "p.category_id",
        refund_key="p.category_id",
        needs_product=True,
        label_of=(Category._meta.db_table, "name"),
        order_in_one_group=False,
    ),
    "employee": _Grouping(
        "o.employee_id",
        refund_key="o.employee_id",
        label_of=(Employee._meta.db_table, "name"),
    ),
    "client": _Grouping(
        "o.client_id",
        refund_key="o.client_id",
        label_of=(Client._meta.db_table, "name"),
    ),
    "location": _Grouping(
        "o.location_id",
        refund_key="r.location_id",
        label_of=(Location._meta.db_table, "name"),
    ),
}


@dataclass(frozen=True)
class SalesRow:
    key: str | int | None  # a period's date (text), or the group's id
    label: str
    orders: int
    units: int
    net_sales: Decimal
    tax: Decimal
    refunds: Decimal

    @property
    def total(self) -> Decimal:
        return self.net_sales + self.tax - self.refunds


@dataclass(frozen=True)
class SalesReport:
    date_from: datetime.date
    date_to: datetime.date
    group_by: str
    location_id: int | None
    rows: list[SalesRow]
    totals: SalesRow


def _reading_cursor():
    """A cursor where the ORM would read orders: the replica inside
    ``on_replica()`` (raw SQL does not pass the router by itself)."""
    return connections[router.db_for_read(Order)].cursor()


def store_today() -> datetime.date:
    """Today's date in the store's own time zone."""
    from zoneinfo import ZoneInfo

    return datetime.datetime.now(ZoneInfo(settings.STORE_TIME_ZONE)).date()


def _confirmed_between(first: str, last: str, column: str = "o.confirmed_at") -> str:
    """``o`` was confirmed (or ``column`` is) on a local date from ``first``
    to ``last`` (SQL dates).

    The bounds are local midnights turned into instants by PostgreSQL itself,
    daylight saving included; the partial index on confirmed_at
    (sales_order_sold_confirmed) serves the condition.
    """
    return (
        f"{column} >= (({first})::date::timestamp AT TIME ZONE %(tz)s) "
        f"AND {column} < (({last})::date + 1)::timestamp AT TIME ZONE %(tz)s"
    )


def _sold_orders_where(*, location: bool) -> str:
    """The sold orders ``o`` of the range (and location)."""
    statuses = ", ".join(f"'{status.value}'" for status in SOLD_STATUSES)
    at_location = "AND o.location_id = %(location)s" if location else ""
    return f"""o.status IN ({statuses})
          AND {_confirmed_between("%(date_from)s", "%(date_to)s")}
          {at_location}"""


def _sold_lines_sql(grouping: _Grouping, *, location: bool) -> str:
    """Per key: the units, net sales and tax of sold lines, and the orders when
    only the lines know them (a product is on an order once, so its lines
    are its orders; a category may be on an order several times)."""
    product_join = (
        f"JOIN {Product._meta.db_table} p ON p.id = l.product_id"
        if grouping.needs_product
        else ""
    )
    if grouping.order_in_one_group:
        orders = "0"  # counted from the orders alone (_sold_orders_sql)
    elif grouping.needs_product:
        orders = "COUNT(DISTINCT o.id)"
    else:
        orders = "COUNT(*)"
    # Each order's lines through its own index probe (OFFSET 0 keeps the
    # planner from turning it back into a join): a month's few thousand
    # orders were joined to every line of the store by a hash.
    return f"""
        SELECT {grouping.key} AS key, {orders} AS orders, SUM(l.quantity) AS units,
               SUM(l.net_amount) AS net_sales, SUM(l.tax_amount) AS tax
        FROM {Order._meta.db_table} o
        CROSS JOIN LATERAL (
            SELECT product_id, quantity, net_amount, tax_amount
            FROM {OrderLine._meta.db_table} WHERE order_id = o.id OFFSET 0
        ) l
        {product_join}
        WHERE {_sold_orders_where(location=location)}
        GROUP BY 1
    """


def _sold_orders_sql(grouping: _Grouping, *, location: bool) -> str:
    """Per key of an order (its day, its employee, ...): how many were sold.

    Read from the partial index on confirmed_at alone, which holds the keys.
    """
    return f"""
        SELECT {grouping.key} AS key, COUNT(*) AS orders
        FROM {Order._meta.db_table} o
        WHERE {_sold_orders_where(location=location)}
        GROUP BY 1
    """


def _refunds_sql(grouping: _Grouping, *, location: bool) -> str:
    """Per key: the money refunded in the range, by the local date of the
    return (at the order's location, by its employee and client); per
    product or category, from the return's lines."""
    made = _confirmed_between("%(date_from)s", "%(date_to)s", "r.created_at")
    at_location = "AND r.location_id = %(location)s" if location else ""
    if not grouping.order_in_one_group:
        product_join = (
            f"JOIN {Product._meta.db_table} p ON p.id = rl.product_id"
            if grouping.needs_product
            else ""
        )
        # Each return's lines by its index, as the sold lines are read.
        return f"""
            SELECT {grouping.refund_key} AS key, SUM(rl.refund_amount) AS amount
            FROM {Return._meta.db_table} r
            CROSS JOIN LATERAL (
                SELECT product_id, refund_amount
                FROM {ReturnLine._meta.db_table} WHERE return_id = r.id OFFSET 0
            ) rl
            {product_join}
            WHERE {made} {at_location}
            GROUP BY 1
        """
    return f"""
        SELECT {grouping.refund_key} AS key, SUM(r.refund_amount) AS amount
        FROM {Return._meta.db_table} r
        JOIN {Order._meta.db_table} o ON o.id = r.order_id
        WHERE {made} {at_location}
        GROUP BY 1
    """


def _sales_sql(group_by: str, *, location: bool) -> str:
    grouping = GROUPINGS[group_by]
    # Two aggregates grouped straight to the keys (a handful of rows each),
    # not one row per order first: on a year of orders that step alone
    # spilled to disk.
    if grouping.order_in_one_group:
        orders_part = f"""
                SELECT key, orders, 0, 0, 0, 0
                FROM ({_sold_orders_sql(grouping, location=location)}) counted
                UNION ALL"""
        orders_in_all = "SUM(orders)"
    else:
        orders_part = ""
        orders_in_all = (
            f"(SELECT COUNT(*) FROM {Order._meta.db_table} o "
            f"WHERE {_sold_orders_where(location=location)})"
        )
    common = f"""
        WITH grouped AS (
            SELECT key, SUM(orders) AS orders, SUM(units) AS units,
                   SUM(net_sales) AS net_sales, SUM(tax) AS tax,
                   SUM(refunds) AS refunds
            FROM ({orders_part}
                SELECT key, orders, units, net_sales, tax, 0 AS refunds
                FROM ({_sold_lines_sql(grouping, location=location)}) lines
                UNION ALL
                SELECT key, 0, 0, 0, 0, amount
                FROM ({_refunds_sql(grouping, location=location)}) refunded
            ) facts (key, orders, units, net_sales, tax, refunds)
            GROUP BY key
        )"""
    columns = """COALESCE(g.orders, 0), COALESCE(g.units, 0),
                 COALESCE(g.net_sales, 0), COALESCE(g.tax, 0),
                 COALESCE(g.refunds, 0)"""
    totals = f"""
        SELECT 1, NULL, NULL, COALESCE({orders_in_all}, 0), COALESCE(SUM(units), 0),
               COALESCE(SUM(net_sales), 0), COALESCE(SUM(tax), 0),
               COALESCE(SUM(refunds), 0), 0
        FROM grouped"""
    table, name = grouping.label_of
    return f"""{common},
        kept AS (
            SELECT g.*, ROW_NUMBER() OVER (
                ORDER BY g.net_sales + g.tax - g.refunds DESC, g.key NULLS LAST) AS n
            FROM grouped g
            ORDER BY n
            LIMIT %(limit)s
        )
        SELECT 0, g.key::text, COALESCE(x.{name}, ''), {columns}, g.n
        FROM kept g
        LEFT JOIN {table} x ON x.id = g.key
        UNION ALL {totals}
        ORDER BY 1, 9"""


# --- Sales by period, from the kept days -----------------------------------------

# The advisory lock between keeping days and the triggers that forget them
# (``reports`` 0001, where the same number is written).
SALES_DAYS_LOCK = 7301226117
# A day is kept once it ended a day ago: no transaction still running can
# stamp a sale in it, and the triggers skip a sale or return stamped within
# the last 12 hours (the margin is theirs).
_CLOSED = "((day + 1)::timestamp AT TIME ZONE %(tz)s) <= now() - interval '1 day'"
_PERIOD_OF = {
    "day": "day",
    "week": "date_trunc('week', day)::date",
    "month": "date_trunc('month', day)::date",
}


def _days_sql() -> str:
    return (
        "SELECT d::date AS day FROM generate_series("
        "%(date_from)s::date, %(date_to)s::date, interval '1 day') d"
    )


def _day_facts_sql(days: str, *, location: bool) -> str:
    """Per day of the relation ``days`` and location: the orders, units, net
    sales and tax sold, and the refunds made, from the orders themselves."""
    statuses = ", ".join(f"'{status.value}'" for status in SOLD_STATUSES)
    sold_on = f"""{_confirmed_between("d.day", "d.day")}
        AND o.status IN ({statuses})
        {"AND o.location_id = %(location)s" if location else ""}"""
    # The days' orders first (MATERIALIZED, so that the planner, which cannot
    # know how few days it is given, neither hashes every line of the store
    # for two days of sales nor sums every order's lines before choosing
    # the days'), then each order's lines through its own index probe.
    return f"""
        (WITH sold AS MATERIALIZED (
            SELECT d.day, o.id, o.location_id
            FROM {days} d JOIN {Order._meta.db_table} o ON {sold_on}
        )
        SELECT s.day, s.location_id AS location, COUNT(*) AS orders,
               SUM(l.units) AS units, SUM(l.net_sales) AS net_sales,
               SUM(l.tax) AS tax, 0 AS refunds
        FROM sold s CROSS JOIN LATERAL (
            SELECT SUM(quantity) AS units, SUM(net_amount) AS net_sales,
                   SUM(tax_amount) AS tax
            FROM {OrderLine._meta.db_table} WHERE order_id = s.id
        ) l
        GROUP BY 1, 2)
        UNION ALL
        SELECT d.day, r.location_id, 0, 0, 0, 0, SUM(r.refund_amount)
        FROM {days} d JOIN {Return._meta.db_table} r
            ON {_confirmed_between("d.day", "d.day", "r.created_at")}
            {"AND r.location_id = %(location)s" if location else ""}
        GROUP BY 1, 2"""


def _periods_sql(group_by: str, *, location: bool) -> str:
    """The rows of a report by period, then its totals, the last of whose
    columns counts the closed days of the range not kept yet.

    The kept days are read from ``SalesDay``; every other day (today,
    yesterday, a day not read before or forgotten since) from the orders.
    Both come from the statement's one snapshot, in which a change and the
    forgetting of its day are either both seen or neither.
    """
    kept = f"""
        SELECT * FROM {SalesDay._meta.db_table}
        WHERE tz = %(tz)s AND day BETWEEN %(date_from)s AND %(date_to)s"""
    at_location = "location_id = %(location)s" if location else "location_id IS NULL"
    return f"""
        WITH kept AS ({kept}),
        computed AS (
            {_days_sql()}
            EXCEPT SELECT day FROM kept WHERE location_id IS NULL
        ),
        facts AS (
            SELECT day, orders, units, net_sales, tax, refunds
            FROM kept WHERE {at_location}
            UNION ALL
            SELECT day, orders, units, net_sales, tax, refunds
            FROM ({_day_facts_sql("computed", location=location)}) f
        ),
        grouped AS (
            SELECT {_PERIOD_OF[group_by]} AS key, SUM(orders) AS orders,
                   SUM(units) AS units, SUM(net_sales) AS net_sales,
                   SUM(tax) AS tax, SUM(refunds) AS refunds
            FROM facts
            GROUP BY 1
        )
        SELECT 0, periods.key::text, '', COALESCE(g.orders, 0),
               COALESCE(g.units, 0), COALESCE(g.net_sales, 0),
               COALESCE(g.tax, 0), COALESCE(g.refunds, 0), periods.n
        FROM (
            -- Every period of the range, from the one date_from falls in.
            SELECT d::date AS key, ROW_NUMBER() OVER (ORDER BY d) AS n
            FROM generate_series(
                date_trunc('{group_by}', %(date_from)s::date::timestamp),
                %(date_to)s::date::timestamp, interval '1 {group_by}') d
        ) periods
        LEFT JOIN grouped g ON g.key = periods.key
        UNION ALL
        SELECT 1, NULL, NULL, COALESCE(SUM(orders), 0), COALESCE(SUM(units), 0),
               COALESCE(SUM(net_sales), 0), COALESCE(SUM(tax), 0),
               COALESCE(SUM(refunds), 0),
               (SELECT COUNT(*) FROM computed WHERE {_CLOSED})
        FROM grouped
        ORDER BY 1, 9"""


def _keep_days_sql() -> str:
    """Keep every closed day of the range not kept yet: per location, and the
    whole store's (kept even when nothing was sold)."""
    table = SalesDay._meta.db_table
    columns = "tz, day, location_id, orders, units, net_sales, tax, refunds"
    return f"""
        WITH missing AS (
            {_days_sql()}
            EXCEPT SELECT day FROM {table}
                   WHERE tz = %(tz)s AND location_id IS NULL
        ),
        closed AS (SELECT day FROM missing WHERE {_CLOSED}),
        facts AS ({_day_facts_sql("closed", location=False)}),
        per_location AS (
            INSERT INTO {table} ({columns})
            SELECT %(tz)s, day, location, SUM(orders), SUM(units),
                   SUM(net_sales), SUM(tax), SUM(refunds)
            FROM facts
            GROUP BY day, location
        )
        INSERT INTO {table} ({columns})
        SELECT %(tz)s, c.day, NULL, COALESCE(SUM(f.orders), 0),
               COALESCE(SUM(f.units), 0), COALESCE(SUM(f.net_sales), 0),
               COALESCE(SUM(f.tax), 0), COALESCE(SUM(f.refunds), 0)
        FROM closed c LEFT JOIN facts f ON f.day = c.day
        GROUP BY c.day"""


def _keep_days(params: dict) -> None:
    """Keep the range's closed days for the next reports, on the primary.

    Under the lock the triggers share: a transaction that changed a sale of
    one of these days and has not committed yet is waited for, and the days
    are read after it.
    """
    primary = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(using=DEFAULT_DB_ALIAS), primary.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SALES_DAYS_LOCK])
        cursor.execute(_keep_days_sql(), params)


def sales_report(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    group_by: str = "day",
    location_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> SalesReport:
    """The sales of ``[date_from, date_to]`` grouped by ``group_by``, and totals.

    One statement: the rows (every period for ``day``, ``week``, ``month``;
    the ``limit`` groups with the largest totals otherwise) and, last, the
    totals over every group, whether kept by the limit or not. By period, the
    first report of a range then keeps its closed days (two more).
    """
    params = {
        "tz": settings.STORE_TIME_ZONE,
        "date_from": date_from,
        "date_to": date_to,
        "location": location_id,
        "limit": limit,
    }
    by_period = group_by in PERIODS
    sql = (_periods_sql if by_period else _sales_sql)(
        group_by, location=location_id is not None
    )
    with _reading_cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if by_period and fetched[-1][-1]:
        _keep_days(params)
    *rows, totals = (_sales_row(row, group_by) for row in fetched)
    return SalesReport(
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        location_id=location_id,
        rows=rows,
        totals=totals,
    )


def _sales_row(row: tuple, group_by: str) -> SalesRow:
    _, key, label, orders, units, net_sales, tax, refunds, _ = row
    if key is not None and group_by == "month":
        key = key[:7]
    elif key is not None and group_by not in PERIODS:
        key = int(key)
    return SalesRow(
        key=key,
        label=label or "",
        orders=int(orders),
        units=int(units),
        net_sales=Decimal(net_sales).quantize(_CENT),
        tax=Decimal(tax).quantize(_CENT),
        refunds=Decimal(refunds).quantize(_CENT),
    )


# --- Stock value ----------------------------------------------------------------


@dataclass(frozen=True)
class InventoryRow:
    product: int
    sku: str | None
    name: str
    on_hand: int
    average_cost: Decimal
    units_sold: int  # over the last COVER_DAYS days

    @property
    def value(self) -> Decimal:
        return (self.on_hand * self.average_cost).quantize(_CENT, ROUND_HALF_UP)

    @property
    def daily_sales(self) -> Decimal:
        return (Decimal(self.units_sold) / COVER_DAYS).quantize(_CENT, ROUND_HALF_UP)

    @property
    def days_of_cover(self) -> Decimal | None:
        if not self.units_sold:
            return None
        exact = Decimal(self.on_hand * COVER_DAYS) / self.units_sold
        return exact.quantize(_TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class InventoryReport:
    location_id: int | None
    rows: list[InventoryRow]

    @property
    def units(self) -> int:
        return sum(row.on_hand for row in self.rows)

    @property
    def value(self) -> Decimal:
        return sum((row.value for row in self.rows), _ZERO)


def _inventory_sql(*, location: bool) -> str:
    at_location = "AND s.location_id = %(location)s" if location else ""
    sold_at = "AND o.location_id = %(location)s" if location else ""
    confirmed = _confirmed_between(f"%(today)s::date - {COVER_DAYS - 1}", "%(today)s")
    statuses = ", ".join(f"'{status.value}'" for status in SOLD_STATUSES)
    return f"""
        WITH stock AS (
            SELECT s.product_id, SUM(s.on_hand) AS on_hand
            FROM {StockLevel._meta.db_table} s
            WHERE true {at_location}
            GROUP BY s.product_id
        ),
        sold AS (
            SELECT l.product_id, SUM(l.quantity) AS units
            FROM {Order._meta.db_table} o
            JOIN {OrderLine._meta.db_table} l ON l.order_id = o.id
            WHERE o.status IN ({statuses})
              AND {confirmed}
              {sold_at}
            GROUP BY l.product_id
        )
        SELECT p.id, p.sku, p.name, COALESCE(stock.on_hand, 0),
               p.average_cost, COALESCE(sold.units, 0)
        FROM {Product._meta.db_table} p
        LEFT JOIN stock ON stock.product_id = p.id
        LEFT JOIN sold ON sold.product_id = p.id
        WHERE p.is_active OR stock.on_hand <> 0 OR sold.units IS NOT NULL
        ORDER BY p.name, p.id
    """


def inventory_report(
    *, location_id: int | None = None, today: datetime.date | None = None
) -> InventoryReport:
    """Each product's stock (at ``location_id``, or everywhere), its value at
    average cost, and how many days it lasts at the last 30 days' sales.

    Active products all, and inactive ones that still hold or sold stock.
    """
    params = {
        "tz": settings.STORE_TIME_ZONE,
        "today": today or store_today(),
        "location": location_id,
    }
    with _reading_cursor() as cursor:
        cursor.execute(_inventory_sql(location=location_id is not None), params)
        rows = [
            InventoryRow(
                product=product,
                sku=sku,
                name=name,
                on_hand=int(on_hand),
                average_cost=Decimal(cost),
                units_sold=int(units),
            )
            for product, sku, name, on_hand, cost, units in cursor.fetchall()
        ]
    return InventoryReport(location_id=location_id, rows=rows)


# --- The admin's dashboard ----------------------------------------------------------


@dataclass(frozen=True)
class SalesTotal:
    amount: Decimal
    orders: int


@dataclass(frozen=True)
class DaySales:
    day: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    today: datetime.date
    sales_today: SalesTotal | None = None
    sales_month: SalesTotal | None = None
    sales_by_day: list[DaySales] = field(default_factory=list)
    best_day: Decimal = _ZERO
    orders_by_status: list[StatusCount] = field(default_factory=list)
    most_orders: int = 0
    low_stock: list[Product] = field(default_factory=list)
    low_stock_count: int = 0


def dashboard_sales(*, today: datetime.date) -> dict:
    """Today's, this month's and the last 30 days' sales, from one sales report.

    The report covers the last 30 days and, on the 31st, the first of the
    month too; the month's and today's figures are sums of its days.
    """
    first = today.replace(day=1)
    chart_from = today - datetime.timedelta(days=DEFAULT_DAYS - 1)
    report = sales_report(
        date_from=min(first, chart_from), date_to=today, group_by="day"
    )
    days = [
        (datetime.date.fromisoformat(row.key), row.total, row.orders)
        for row in report.rows
    ]
    by_day = [DaySales(day=day, amount=amount) for day, amount, _ in days]
    month = [(amount, orders) for day, amount, orders in days if day >= first]
    chart = [day for day in by_day if day.day >= chart_from]
    return {
        "sales_today": SalesTotal(amount=days[-1][1], orders=days[-1][2]),
        "sales_month": SalesTotal(
            amount=sum((amount for amount, _ in month), _ZERO),
            orders=sum(orders for _, orders in month),
        ),
        "sales_by_day": chart,
        "best_day": max((day.amount for day in chart), default=_ZERO),
    }


def order_count_by_status() -> list[StatusCount]:
    """How many orders are in each status, every status listed."""
    from django.db.models import Count

    counts = dict(
        Order.objects.order_by().values_list("status").annotate(count=Count("id"))
    )
    return [
        StatusCount(
            status=status.value, label=status.label, count=counts.get(status, 0)
        )
        for status in OrderStatus
    ]


def low_stock_products(*, limit: int = 10) -> tuple[list[Product], int]:
    """Active products at or below their reorder level, the shortest first.

    Returns at most ``limit`` products, and how many there are in all.
    """
    low = products_with_stock().filter(is_active=True, is_low_stock=True)
    products = list(
        low.select_related("category").order_by(
            F("stock") - F("reorder_level"), "name", "id"
        )[:limit]
    )
    count = len(products) if len(products) < limit else low.count()
    return products, count


def dashboard(
    *,
    today: datetime.date,
    sales: bool = True,
    orders: bool = True,
    stock: bool = True,
) -> Dashboard:
    """The figures of the admin index; each part only when asked for."""
    figures: dict = {"today": today}
    if sales:
        figures.update(dashboard_sales(today=today))
    if orders:
        by_status = order_count_by_status()
        figures.update(
            orders_by_status=by_status,
            most_orders=max((s.count for s in by_status), default=0),
        )
    if stock:
        products, count = low_stock_products()
        figures.update(low_stock=products, low_stock_count=count)
    return Dashboard(**figures)
