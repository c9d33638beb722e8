"""Importing products from a CSV file, all or nothing, keyed by SKU.

Here, where products and their stock are both known: a new product's
opening stock goes in through ``services.stock_apply`` like the API's
``stock`` on create. Every row is checked by the API's product serializer
before anything is written; names (category, tax class) are looked up for
the whole file at once.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models.functions import Lower

from audit import services as audit
from catalog import services as catalog_services
from catalog.models import Category, Product, Supplier, TaxClass
from store_project.api.serializers import StrictCharField
from store_project.csv_import import (
    ImportResult,
    Row,
    api_values,
    duplicate_keys,
    read_csv,
    validate_row,
)
from store_project.exceptions import RowsRefused

from . import services
from .selectors import products_with_stock
from .serializers import ProductSerializer

COLUMNS = (
    "sku",
    "name",
    "description",
    "unit_price",
    "category",
    "reorder_level",
    "is_active",
    "tax_class",
    "supplier",
    "stock",
)
# Who may import: it creates and changes products, and creates categories.
PERMISSIONS = ["catalog.add_product", "catalog.change_product", "catalog.add_category"]
# Columns that name an object which must exist: its model, and what a
# refusal calls it. (A category named is created when missing.)
_EXISTING = {
    "tax_class": (TaxClass, "tax class"),
    "supplier": (Supplier, "supplier"),
}


class ProductRowSerializer(ProductSerializer):
    """A product as a row of the file: the API's product, with its category,
    tax class and supplier given by name instead of id."""

    sku = StrictCharField(max_length=64)
    category = StrictCharField(max_length=Category._meta.get_field("name").max_length)
    tax_class = StrictCharField(
        max_length=TaxClass._meta.get_field("name").max_length, required=False
    )
    supplier = StrictCharField(
        max_length=Supplier._meta.get_field("name").max_length, required=False
    )


def _key(sku: str) -> str:
    return sku.strip().lower()  # as the unique index compares SKUs


@transaction.atomic
def products_import(
    *, data: bytes, dry_run: bool = False, by: AbstractBaseUser | None = None
) -> ImportResult:
    """Create or update a product for each row of the CSV file ``data``.

    A row whose SKU a product has updates it (an empty cell leaves the field
    as it is; ``stock`` is ignored); any other row creates one (an empty cell
    takes the API's default; ``stock`` is its opening stock at the default
    location). A category named but missing is created; a tax class or
    supplier must exist. Any problem refuses the whole file (``RowsRefused``,
    one problem each), and nothing is written; ``dry_run`` checks and counts
    only.
    """
    rows = read_csv(data, columns=COLUMNS, required="sku")
    problems = duplicate_keys(rows, column="sku", key=_key)
    keys = {_key(row.cells["sku"]) for row in rows if "sku" in row.cells}
    # Locked in id order, so that nothing changes them between the check and
    # the write, and two imports cannot deadlock.
    existing = {
        product.sku_key: product
        for product in products_with_stock()
        .select_related("category")
        .annotate(sku_key=Lower("sku"))
        .filter(sku_key__in=keys)
        .order_by("pk")
        .select_for_update(no_key=True, of=("self",))
    }
    new_row = ProductRowSerializer()
    changed_row = ProductRowSerializer(partial=True)
    checked: list[tuple[Row, Product | None, dict]] = []
    for row in rows:
        product = existing.get(_key(row.cells.get("sku", "")))
        serializer = changed_row if product else new_row
        given = api_values(row, booleans=("is_active",))
        if product is not None:
            given.pop("stock", None)  # ignored for an existing product, as on PUT
        values = validate_row(serializer, row, given, problems)
        if values is not None:
            checked.append((row, product, values))
    categories, new_categories = _categories(checked)
    named = {
        column: _named(model, column, checked)
        for column, (model, _) in _EXISTING.items()
    }
    for row, _product, values in checked:
        for column, (_model, label) in _EXISTING.items():
            name = values.get(column)
            if name is not None and name.lower() not in named[column]:
                message = f"No {label} is named {name!r}."
                problems.append((row.attr(column), "does_not_exist", message))
    if problems:
        raise RowsRefused(sorted(problems, key=_row_order))

    if not dry_run and new_categories:
        for category in catalog_services.categories_create_many(
            names=new_categories, by=by
        ):
            categories[category.name.lower()] = category
    creates, updates = [], []
    for _row, product, values in checked:
        fields = {
            name: value
            for name, value in values.items()
            if name in catalog_services.PRODUCT_EDITABLE_FIELDS
            and name != "category"
            and name not in _EXISTING
        }
        if "category" in values:
            fields["category"] = categories.get(values["category"].lower())
        for column in _EXISTING:
            if column in values:
                fields[column] = named[column][values[column].lower()]
        if product is None:
            creates.append((Product(**fields), values.get("stock", 0)))
        else:
            del fields["sku"]  # the key: the product keeps its own spelling
            updates.append((product, fields))
    if dry_run:
        updated = sum(
            bool(catalog_services.product_changes(product, fields))
            for product, fields in updates
        )
        return ImportResult(
            created=len(creates),
            updated=updated,
            unchanged=len(updates) - updated,
            dry_run=True,
        )

    created = catalog_services.products_create_many([p for p, _ in creates])
    audit.record_many(
        (
            (
                "create",
                product,
                audit.created(
                    product,
                    catalog_services.PRODUCT_EDITABLE_FIELDS,
                    also={"stock": opening},
                ),
            )
            for product, (_, opening) in zip(created, creates, strict=True)
        ),
        by=by,
    )
    stock = {
        product.pk: opening
        for product, (_, opening) in zip(created, creates, strict=True)
        if opening
    }
    if stock:
        services.stock_apply(
            location_id=services.location_default().pk,
            changes=stock,
            reason=services.Reason.INITIAL,
            by=by,
            note="Imported",
            savepoint=False,  # this transaction rolls back whole
        )
    changed = catalog_services.products_update_many(updates=updates, by=by)
    return ImportResult(
        created=len(created),
        updated=len(changed),
        unchanged=len(updates) - len(changed),
        dry_run=False,
    )


def _categories(checked) -> tuple[dict[str, Category | None], list[str]]:
    """The file's categories by lower-cased name, and the names of those to
    create (as first written in the file)."""
    wanted: dict[str, str] = {}
    for _row, _product, values in checked:
        if "category" in values:
            wanted.setdefault(values["category"].lower(), values["category"])
    found: dict[str, Category | None] = {
        category.name_key: category
        for category in Category.objects.annotate(name_key=Lower("name")).filter(
            name_key__in=list(wanted)
        )
    }
    missing = [name for key, name in wanted.items() if key not in found]
    found.update((name.lower(), None) for name in missing)
    return found, missing


def _named(model, column: str, checked) -> dict:
    """The objects of ``model`` the rows name in ``column``, by lower-cased name."""
    names = {values[column].lower() for _, _, values in checked if column in values}
    if not names:
        return {}
    found = model.objects.annotate(name_key=Lower("name")).filter(name_key__in=names)
    return {obj.name_key: obj for obj in found}


def _row_order(problem: tuple[str, str, str]):
    attr = problem[0]
    if not attr.startswith("row "):
        return (0, 0)
    return (1, int(attr[4:].split(":")[0]))
