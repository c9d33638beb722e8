"""Write a plan with PostgreSQL's COPY: a hundred thousand orders in seconds.

The services cost a dozen statements per order; at benchmark sizes that is
minutes. Here the plan's replay has already decided every state, so the rows
are streamed straight into the tables with ``COPY ... FROM STDIN`` on the
psycopg 3 connection under Django's, in the caller's transaction. The rows are
exactly those the services would have written for the same plan (the tests
compare both), so the same invariants hold: stock equals the ledger, totals
equal their lines, one history row per transition, a sale movement per line
of every confirmed order and a cancellation for each once it is cancelled.

Ids of rows that others refer to (products, clients, orders) are drawn from
their own sequences with ``nextval`` first, so the sequences stay right and a
concurrent writer could not collide with them.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import connection
from psycopg import sql

from catalog.models import Category, Product, TaxClass
from customers.models import Client
from customers.selectors import phone_digest
from inventory.models import Location, StockLevel, StockMovement
from sales import money
from sales.models import Order, OrderLine, OrderStatusChange
from staff.models import Employee
from store_project.db.altering import run_queued_key_checks

from .plan import ADJUST, CANCEL, CONFIRM, CREATE, DELIVER, SHIP, Plan, to_datetime
from .progress import ProgressBar

NULL = "\\N"
_TARGET = {CONFIRM: "confirmed", SHIP: "shipped", DELIVER: "delivered"}
_CHUNK = 5000


def write_with_copy(
    plan: Plan,
    *,
    categories: list[Category],
    tax_classes: list[TaxClass],
    employees: list[Employee],
    users: dict,
    progress: Callable[[str, int], ProgressBar],
) -> None:
    """Insert the plan's products, clients, orders and ledger. Needs a transaction."""
    with connection.cursor() as django_cursor:
        # The configured statement timeout is for requests, not for bulk loads.
        django_cursor.execute("SET LOCAL statement_timeout = 0")
        with django_cursor.connection.cursor() as cursor:
            _write(plan, cursor, categories, tax_classes, employees, users, progress)


def _write(plan, cursor, categories, tax_classes, employees, users, progress) -> None:
    user_ids = {role: user.pk for role, user in users.items()}
    category_ids = [c.pk for c in categories]
    tax_class_ids = [c.pk for c in tax_classes]
    employee_ids = [e.pk for e in employees]
    product_ids = _reserve_ids(cursor, Product, len(plan.products))
    client_ids = _reserve_ids(cursor, Client, len(plan.clients))
    order_ids = _reserve_ids(cursor, Order, len(plan.orders))
    times = _Times()
    # Everything is at the default location, as the services put it.
    location = Location.objects.get(is_default=True).pk

    _copy(
        cursor,
        Product,
        "id sku name description unit_price reorder_level is_active "
        "category tax_class created_at updated_at",
        (
            f"{pk}\t{_text(p.sku)}\t{_text(p.name)}\t{_text(p.description)}\t"
            f"{_money(p.price_cents)}\t{p.reorder_level}\tt\t"
            f"{category_ids[p.category]}\t{tax_class_ids[p.tax_class]}\t"
            f"{times[p.created_at]}\t{times[p.created_at]}\n"
            for pk, p in zip(product_ids, plan.products, strict=True)
        ),
        progress("copy products", len(plan.products)),
    )
    # A stock level for each product with a movement (the stock service makes
    # one with the first); its last change is the product's last stock change.
    stocked = _stocked_products(plan)
    _copy(
        cursor,
        StockLevel,
        "product location on_hand reorder_level updated_at",
        (
            f"{product_ids[i]}\t{location}\t{p.stock}\t0\t{times[p.updated_at]}\n"
            for i, p in enumerate(plan.products)
            if i in stocked
        ),
        progress("copy stock levels", len(stocked)),
    )
    # Phones and addresses are stored as the model stores them: encrypted,
    # the phone with its digest (what client_create writes).
    sealed = Client._meta.get_field("phone").get_prep_value
    _copy(
        cursor,
        Client,
        "id name email phone phone_digest address created_at updated_at",
        (
            f"{pk}\t{_text(c.name)}\t{_text(c.email)}\t{_text(sealed(c.phone))}\t"
            f"{phone_digest(c.phone)}\t{_text(sealed(c.address))}\t"
            f"{times[c.created_at]}\t{times[c.created_at]}\n"
            for pk, c in zip(client_ids, plan.clients, strict=True)
        ),
        progress("copy clients", len(plan.clients)),
    )
    # The big tables are loaded without their secondary indexes and foreign
    # keys, which are rebuilt and checked once at the end.
    with _bulk_load(
        cursor, (Order, OrderLine, OrderStatusChange, StockMovement), progress
    ):
        notes = {}
        _copy(
            cursor,
            Order,
            "id client employee location status " + " ".join(_ORDER_MONEY) + " notes "
            "created_at updated_at confirmed_at shipped_at delivered_at cancelled_at",
            (
                f"{pk}\t{client_ids[o.client]}\t"
                f"{NULL if o.employee is None else employee_ids[o.employee]}\t"
                f"{location}\t"
                f"{o.status}\t{_order_money(o)}\t"
                f"{notes.get(o.notes) or notes.setdefault(o.notes, _text(o.notes))}\t"
                f"{times[o.created_at]}\t{times[o.updated_at]}\t"
                f"{times[o.confirmed_at]}\t{times[o.shipped_at]}\t"
                f"{times[o.delivered_at]}\t{times[o.cancelled_at]}\n"
                for pk, o in zip(order_ids, plan.orders, strict=True)
            ),
            progress("copy orders", len(plan.orders)),
        )
        prices = [_money(p.price_cents) for p in plan.products]
        _copy(
            cursor,
            OrderLine,
            "order product quantity unit_price " + " ".join(_LINE_MONEY),
            (
                f"{pk}\t{product_ids[product]}\t{quantity}\t{prices[product]}\t"
                f"{_line_money(line)}\n"
                for pk, o in zip(order_ids, plan.orders, strict=True)
                for (product, quantity), line in zip(
                    o.lines, o.money.lines, strict=True
                )
            ),
            progress("copy lines", sum(len(o.lines) for o in plan.orders)),
        )
        transitions = sum(e[1] not in (CREATE, ADJUST) for e in plan.events)
        _copy(
            cursor,
            OrderStatusChange,
            "order from_status to_status changed_at changed_by",
            _history_rows(plan, order_ids, user_ids, times),
            progress("copy history", transitions),
        )
        _copy(
            cursor,
            StockMovement,
            "product location quantity reason order_id note created_by created_at",
            _ledger_rows(plan, product_ids, order_ids, user_ids, times, location),
            progress("copy ledger", _ledger_size(plan)),
        )
    tables = [
        m._meta.db_table
        for m in (
            Product,
            StockLevel,
            Client,
            Order,
            OrderLine,
            OrderStatusChange,
            StockMovement,
        )
    ]
    # Fresh statistics, so the first API requests get sensible query plans.
    cursor.execute(
        sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
    )


def _history_rows(plan: Plan, order_ids, user_ids, times) -> Iterator[str]:
    orders = plan.orders
    status = ["draft"] * len(orders)
    for when, kind, index, role in plan.events:
        if kind in (CREATE, ADJUST):
            continue
        target = "cancelled" if kind == CANCEL else _TARGET[kind]
        yield (
            f"{order_ids[index]}\t{status[index]}\t{target}\t{times[when]}\t"
            f"{user_ids[role]}\n"
        )
        status[index] = target


def _ledger_rows(
    plan: Plan, product_ids, order_ids, user_ids, times, location: int
) -> Iterator[str]:
    """The ledger in the order the services write it (products by id)."""
    manager = user_ids["manager"]
    for pk, p in zip(product_ids, plan.products, strict=True):
        if p.opening_stock:
            yield (
                f"{pk}\t{location}\t{p.opening_stock}\tinitial\t{NULL}\t\t{manager}\t"
                f"{times[p.created_at]}\n"
            )
    confirmed: set[int] = set()
    for when, kind, index, detail in plan.events:
        if kind == ADJUST:
            quantity, reason, note, role = detail
            yield (
                f"{product_ids[index]}\t{location}\t{quantity}\t{reason}\t{NULL}\t"
                f"{_text(note)}\t{user_ids[role]}\t{times[when]}\n"
            )
        elif kind == CONFIRM or (kind == CANCEL and index in confirmed):
            if kind == CONFIRM:
                confirmed.add(index)
                sign, reason = -1, "sale"
            else:
                sign, reason = 1, "cancellation"
            order_id, moment = order_ids[index], times[when]
            for product, quantity in sorted(plan.orders[index].lines):
                yield (
                    f"{product_ids[product]}\t{location}\t{sign * quantity}\t{reason}\t"
                    f"{order_id}\t\t{user_ids[detail]}\t{moment}\n"
                )


def _stocked_products(plan: Plan) -> set[int]:
    """The products (by index) that the ledger has a movement of."""
    stocked = {i for i, p in enumerate(plan.products) if p.opening_stock}
    for _, kind, index, _ in plan.events:
        if kind == ADJUST:
            stocked.add(index)
        elif kind == CONFIRM:
            stocked.update(product for product, _ in plan.orders[index].lines)
    return stocked


def _ledger_size(plan: Plan) -> int:
    size = sum(1 for p in plan.products if p.opening_stock)
    for _, kind, index, _ in plan.events:
        if kind == ADJUST:
            size += 1
        elif kind == CONFIRM or (
            kind == CANCEL and plan.orders[index].confirmed_at is not None
        ):
            size += len(plan.orders[index].lines)
    return size


@contextmanager
def _bulk_load(cursor, models, progress) -> Iterator[None]:
    """Drop the tables' secondary indexes and foreign keys; restore them after.

    PostgreSQL's manual ("Populating a Database") recommends it: one index
    build and one foreign-key check per table are far cheaper than updating
    every index and queuing a key check for each of a million rows. It all
    happens in the caller's transaction, so an error restores everything;
    meanwhile the tables are locked, which an empty demo store can afford.
    """
    tables = [model._meta.db_table for model in models]
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
        ORDER BY 1, 2
        """,
        [tables],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        """
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
        FROM pg_index
        WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS (
            SELECT 1 FROM pg_constraint
            WHERE conindid = indexrelid AND contype IN ('p', 'u', 'x')
        )
        ORDER BY 1
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    run_queued_key_checks(cursor)
    for table, name, _ in foreign_keys:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)
            )
        )
    for name, _ in indexes:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    with progress("indexes and keys", len(indexes) + len(foreign_keys)) as bar:
        for _, definition in indexes:
            cursor.execute(definition)
            bar.advance()
        for table, name, definition in foreign_keys:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
                )
            )
            bar.advance()


def _reserve_ids(cursor, model, count: int) -> list[int]:
    if not count:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [model._meta.db_table, model._meta.pk.column, count],
    )
    return sorted(row[0] for row in cursor.fetchall())


def _copy(cursor, model, fields: str, rows: Iterable[str], bar: ProgressBar) -> None:
    columns = [model._meta.get_field(name).column for name in fields.split()]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
    )
    with bar, cursor.copy(statement) as copy:
        chunk: list[str] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == _CHUNK:
                copy.write("".join(chunk))
                bar.advance(len(chunk))
                chunk.clear()
        if chunk:
            copy.write("".join(chunk))
            bar.advance(len(chunk))


# The money columns, in the order _order_money and _line_money write them.
_ORDER_MONEY = (
    "discount_kind",
    "discount_value",
    "discount_reason",
    "subtotal",
    "discount_total",
    "tax_total",
    "total_amount",
)
_LINE_MONEY = ("discount_amount", "net_amount", "taxes", "tax_amount")


def _order_money(order) -> str:
    figures, discount = order.money, order.discount
    return "\t".join(
        (
            NULL if discount is None else discount.kind,
            NULL if discount is None else money.amount_text(discount.value),
            "" if discount is None else _text(discount.reason),
            money.amount_text(figures.subtotal),
            money.amount_text(figures.discount_total),
            money.amount_text(figures.tax_total),
            money.amount_text(figures.total_amount),
        )
    )


def _line_money(line) -> str:
    # The same list of dicts as the services store in the JSON column.
    taxes = [
        {
            "name": tax.name,
            "rate": money.rate_text(tax.rate),
            "amount": money.amount_text(tax.amount),
        }
        for tax in line.taxes
    ]
    return (
        f"{money.amount_text(line.discount_amount)}\t"
        f"{money.amount_text(line.net_amount)}\t{_text(json.dumps(taxes))}\t"
        f"{money.amount_text(line.tax_amount)}"
    )


def _text(value: str) -> str:
    """Escape a value for COPY's text format."""
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class _Times(dict):
    """Timestamps as COPY text, each instant formatted once.

    An order's confirmation instant appears on the order, on its history row
    and on each of its sale movements; formatting dominates the CPU time of
    this writer, so each is formatted once.
    """

    def __missing__(self, micros: int | None) -> str:
        text = NULL if micros is None else to_datetime(micros).isoformat()
        self[micros] = text
        return text
