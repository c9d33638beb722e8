"""Every write to the catalog and the stock ledger goes through here."""

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from audit import services as audit
from store_project.db.errors import (
    delete_or_refuse,
    row_lock_timeout,
    unique_violations_as_invalid_input,
)
from store_project.db.updates import model_update
from store_project.exceptions import InvalidInput

from .exceptions import InsufficientStock
from .models import MAX_INT, Category, Product, StockMovement

Reason = StockMovement.Reason
ADJUSTMENT_REASONS = (Reason.RESTOCK, Reason.CORRECTION, Reason.DAMAGE, Reason.RETURN)

_CATEGORY_UNIQUE = {
    "catalog_category_name_ci_unique": (
        "name",
        "A category with this name already exists (names ignore case).",
    )
}
_PRODUCT_UNIQUE = {
    "catalog_product_sku_ci_unique": (
        "sku",
        "A product with this SKU already exists (SKUs ignore case).",
    )
}
PRODUCT_EDITABLE_FIELDS = (
    "sku",
    "name",
    "description",
    "unit_price",
    "reorder_level",
    "is_active",
    "category",
)


# --- Categories ----------------------------------------------------------------


@transaction.atomic
def category_create(*, name: str) -> Category:
    with unique_violations_as_invalid_input(_CATEGORY_UNIQUE):
        category = Category.objects.create(name=name)
    audit.record_create(category, ("name",))
    return category


def category_update(*, category: Category, name: str | None = None) -> Category:
    if name is None:  # a PATCH without a name changes nothing
        return category
    with transaction.atomic():
        with unique_violations_as_invalid_input(_CATEGORY_UNIQUE):
            changes = model_update(
                instance=category, fields=("name",), data={"name": name}
            )
        audit.record_update(category, changes)
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    audit.record_delete(category, ("name",))
    delete_or_refuse(
        category,
        f"Category {category.name!r} still has products; move them to another "
        "category or delete them first.",
    )


# --- Products ------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    category: Category,
    name: str,
    unit_price: Decimal,
    stock: int = 0,
    sku: str | None = None,
    description: str = "",
    reorder_level: int = 0,
    is_active: bool = True,
    by: AbstractBaseUser | None = None,
) -> Product:
    """Create a product; its opening stock is the ledger's ``initial`` movement."""
    with unique_violations_as_invalid_input(_PRODUCT_UNIQUE):
        product = Product.objects.create(
            category=category,
            name=name,
            unit_price=unit_price,
            stock=stock,
            sku=sku or None,
            description=description,
            reorder_level=reorder_level,
            is_active=is_active,
        )
    if stock:
        StockMovement.objects.create(
            product=product,
            quantity=stock,
            reason=Reason.INITIAL,
            created_by=_user_or_none(by),
        )
    audit.record_create(product, (*PRODUCT_EDITABLE_FIELDS, "stock"), by=by)
    return product


@transaction.atomic
def product_update(*, product: Product, **changes) -> Product:
    """Change a product's description fields. Stock is not among them."""
    if "sku" in changes:
        changes["sku"] = changes["sku"] or None
    with unique_violations_as_invalid_input(_PRODUCT_UNIQUE):
        changed = model_update(
            instance=product, fields=PRODUCT_EDITABLE_FIELDS, data=changes
        )
    audit.record_update(product, changed)
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product on no order, with its stock movements."""
    audit.record_delete(product, PRODUCT_EDITABLE_FIELDS)
    delete_or_refuse(
        product,
        f"Product {product.name!r} appears on orders and cannot be deleted; "
        "deactivate it instead (is_active=false).",
    )


# --- Stock ---------------------------------------------------------------------

# Every product's change and its ledger row in one statement, so one round
# trip while the products are locked. ``locked`` takes the row locks in
# primary-key order (its sort runs before its row locks) and reads each row's
# stock as locked, the latest committed; a row is only changed once
# ``locked`` has produced it, and its bound is checked against that stock,
# not the one the statement's snapshot saw before waiting for a lock.
# ``FOR NO KEY UPDATE``: the key does not change, and a ``FOR UPDATE`` lock
# would also block every insert of a row that refers to the product (a line
# of a new draft). Quantities are bigint so the bound check cannot overflow.
# The ORM's equivalent is a ``select_for_update(no_key=True)`` read, an
# ``UPDATE`` per product and a ``bulk_create`` of the ledger: a round trip
# per product while the locks are held, and more CPU than the rest of a
# confirmation.
_STOCK_UPDATE_AND_LEDGER = f"""
    WITH change AS (
        SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS c (id, quantity)
    ), locked AS MATERIALIZED (
        SELECT p.id, p.stock
        FROM {Product._meta.db_table} p JOIN change c ON c.id = p.id
        ORDER BY p.id FOR NO KEY UPDATE OF p
    ), changed AS (
        UPDATE {Product._meta.db_table} p
        SET stock = l.stock + c.quantity, updated_at = %s
        FROM locked l JOIN change c ON c.id = l.id
        WHERE p.id = l.id AND l.stock + c.quantity BETWEEN 0 AND %s
        RETURNING p.id, p.stock, c.quantity
    ), ledger AS (
        INSERT INTO {StockMovement._meta.db_table}
            (product_id, quantity, reason, order_id, note, created_by_id, created_at)
        SELECT id, quantity, %s, %s, %s, %s, %s FROM changed
    )
    SELECT id, stock FROM changed
"""


def stock_apply(
    *,
    changes: Mapping[int, int],
    reason: str,
    by: AbstractBaseUser | None = None,
    order_id: int | None = None,
    note: str = "",
    savepoint: bool = True,
) -> dict[int, int]:
    """Change the stock of several products at once, all or nothing.

    ``changes`` maps product ids to signed quantities. If any product would
    go below zero, one ``InsufficientStock`` names each short product and
    nothing is written. Returns the new stock by product id. Each change is
    written to the ledger in the same transaction, so stock always equals the
    sum of movements.

    ``savepoint=False`` is for a caller already in a transaction that is
    rolled back whole when this raises (``order_transition``): it saves the
    savepoint's two round trips, one of them while the products are locked.
    """
    with transaction.atomic(savepoint=savepoint):
        return _stock_apply(
            changes=changes, reason=reason, by=by, order_id=order_id, note=note
        )


def _stock_apply(*, changes, reason, by, order_id, note) -> dict[int, int]:
    changes = {pk: qty for pk, qty in sorted(changes.items()) if qty}
    if not changes:
        return {}
    now = timezone.now()
    user = _user_or_none(by)
    # Any two transactions lock the products they share in the same
    # (primary-key) order, so they cannot deadlock; the locks are held from
    # this statement to the commit only. A refused change writes nothing:
    # the error below rolls back the changes already made.
    ids, quantities = list(changes), list(changes.values())
    ledger = [reason, order_id, note, user and user.pk, now]
    with row_lock_timeout("The stock of these products"), connection.cursor() as cursor:
        cursor.execute(
            _STOCK_UPDATE_AND_LEDGER, [ids, quantities, now, MAX_INT, *ledger]
        )
        new_stock = dict(cursor.fetchall())
    if len(new_stock) != len(changes):
        _refuse(changes, refused=set(changes) - set(new_stock))
    return new_stock


def _refuse(changes: Mapping[int, int], *, refused: set[int]) -> None:
    """Raise the error that names every refused change (nothing is kept)."""
    products = {
        pk: (name, stock)
        for pk, name, stock in Product.objects.filter(pk__in=refused)
        .order_by("pk")
        .values_list("pk", "name", "stock")
    }
    missing = sorted(refused - set(products))
    if missing:
        raise Product.DoesNotExist(f"No products with ids {missing}")
    shortages = [
        {"product": pk, "name": name, "requested": -changes[pk], "available": stock}
        for pk, (name, stock) in products.items()
        if changes[pk] < 0
    ]
    if shortages:
        raise InsufficientStock(shortages)
    too_much = [name for pk, (name, _) in products.items() if changes[pk] > 0]
    raise InvalidInput(
        f"Stock cannot exceed {MAX_INT} units ({', '.join(too_much)}).",
        code="max_value",
        field="quantity",
    )


def stock_adjust(
    *,
    product: Product,
    quantity: int,
    reason: str,
    note: str = "",
    by: AbstractBaseUser | None = None,
) -> Product:
    """A manual stock change (restock, correction, damage, return)."""
    if reason not in ADJUSTMENT_REASONS:
        raise InvalidInput(
            f"{reason!r} is not a stock adjustment reason.", field="reason"
        )
    if not quantity:
        raise InvalidInput("The quantity must not be zero.", field="quantity")
    stock_apply(changes={product.pk: quantity}, reason=reason, note=note, by=by)
    product.refresh_from_db()
    return product


def _user_or_none(user: AbstractBaseUser | None):
    return user if user is not None and user.is_authenticated else None
