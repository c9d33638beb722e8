"""Non-trivial reads of the catalog, for other apps."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from store_project.db.reads import instance_from_row

from .models import Product, TaxClass, TaxRate

# The rates of some classes and of the default class, in one statement
# written out: it runs on every write of an order's lines, and compiling its
# ORM equivalent (``TaxRate.objects.filter(Q(tax_class__is_default=True) |
# Q(tax_class_id__in=ids)).order_by("tax_class_id", "position")
# .values_list(...)``) cost more CPU than the rest of pricing the lines.
_RATES_OF = f"""
    SELECT r.tax_class_id, c.is_default, r.name, r.rate
    FROM {TaxRate._meta.db_table} r
    JOIN {TaxClass._meta.db_table} c ON c.id = r.tax_class_id
    WHERE c.is_default OR r.tax_class_id = ANY(%s)
    ORDER BY r.tax_class_id, r.position
"""


# What pricing a line of a sale reads of its product, written out:
# ``Product.objects.in_bulk(ids)``, which compiles its statement and builds
# every field of every product, cost more CPU than the rest of reading a
# draft's input.
_FOR_SALE_FIELDS = ("id", "name", "unit_price", "is_active", "tax_class_id")
_FOR_SALE = (
    f"SELECT {', '.join(_FOR_SALE_FIELDS)} "
    f"FROM {Product._meta.db_table} WHERE id = ANY(%s)"
)


def products_for_sale(*, ids: Iterable[int]) -> dict[int, Product]:
    """The products of ``ids`` that exist, by id. Only what a sale's line
    reads of them is read (name, price, whether for sale, tax class); any
    other field is read when first used."""
    with connection.cursor() as cursor:
        cursor.execute(_FOR_SALE, [list(set(ids))])
        rows = cursor.fetchall()
    products = (instance_from_row(Product, _FOR_SALE_FIELDS, row) for row in rows)
    return {product.pk: product for product in products}


def tax_rates_by_product(
    *, products: Iterable[Product]
) -> dict[int, tuple[tuple[str, Decimal], ...]]:
    """Each product's (name, rate) pairs, in order: its class's, or the default's.

    One query, whatever the number of products. Without a default class (a
    database emptied by hand), a product without a class has no rates.
    """
    products = list(products)
    if not products:
        return {}
    classes = sorted({p.tax_class_id for p in products if p.tax_class_id is not None})
    rates: dict[int, list[tuple[str, Decimal]]] = {}
    default = None
    with connection.cursor() as cursor:
        cursor.execute(_RATES_OF, [classes])
        for class_id, is_default, name, rate in cursor.fetchall():
            rates.setdefault(class_id, []).append((name, rate))
            if is_default:
                default = class_id
    return {
        p.pk: tuple(
            rates.get(p.tax_class_id if p.tax_class_id is not None else default, ())
        )
        for p in products
    }
