"""Every write to the catalog goes through here (stock: ``inventory.services``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from audit import services as audit
from integrations.events import event_record, subscribed
from store_project.db.errors import delete_or_refuse, unique_violations_as_invalid_input
from store_project.db.updates import Change, model_update, rows_update
from store_project.exceptions import InvalidInput, ProtectedObjectError

from .models import (
    MAX_TAX_RATES,
    Category,
    Product,
    Supplier,
    TaxClass,
    TaxRate,
)

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
    "tax_class",
    "supplier",
)
_TAX_CLASS_UNIQUE = {
    "catalog_taxclass_name_ci_unique": (
        "name",
        "A tax class with this name already exists (names ignore case).",
    ),
    # Two requests making two classes the default at once: one of them loses.
    "catalog_taxclass_one_default": (
        "is_default",
        "Another class was made the default at the same time; try again.",
    ),
    "catalog_taxrate_name_ci_unique": (
        "rates",
        "Two rates of the class have the same name (names ignore case).",
    ),
}
RATE_PLACES = 5


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


def product_create(
    *,
    category: Category,
    name: str,
    unit_price: Decimal,
    sku: str | None = None,
    description: str = "",
    reorder_level: int = 0,
    is_active: bool = True,
    tax_class: TaxClass | None = None,
    supplier: Supplier | None = None,
) -> Product:
    """Create a product without stock. ``inventory.services.product_create``
    is the service that callers use: it adds the opening stock and records
    the creation in the audit log, with that stock."""
    with unique_violations_as_invalid_input(_PRODUCT_UNIQUE):
        return Product.objects.create(
            category=category,
            name=name,
            unit_price=unit_price,
            sku=sku or None,
            description=description,
            reorder_level=reorder_level,
            is_active=is_active,
            tax_class=tax_class,
            supplier=supplier,
        )


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
    if "unit_price" in changed:
        event_record(event_type="product.price_changed", instance=product)
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product on no order, with its stock levels and movements."""
    audit.record_delete(product, PRODUCT_EDITABLE_FIELDS)
    delete_or_refuse(
        product,
        f"Product {product.name!r} appears on orders and cannot be deleted; "
        "deactivate it instead (is_active=false).",
    )


# --- Many at once (imports) ---------------------------------------------------

# Rows per INSERT or UPDATE statement of a bulk write: PostgreSQL takes at most
# 65,535 parameters in a statement (the connections bind on the server side).
BULK_BATCH_SIZE = 2000


@transaction.atomic
def categories_create_many(*, names: Sequence[str], by=None) -> list[Category]:
    """Create the categories in a few statements, each in the audit log."""
    with unique_violations_as_invalid_input(_CATEGORY_UNIQUE):
        categories = Category.objects.bulk_create(
            [Category(name=name) for name in names], batch_size=BULK_BATCH_SIZE
        )
    audit.record_many(
        (("create", c, audit.created(c, ("name",))) for c in categories), by=by
    )
    return categories


def products_create_many(products: Sequence[Product]) -> list[Product]:
    """Insert new products (unsaved instances) without stock, in a few
    statements. ``inventory.imports`` is the caller: it adds their opening
    stock and their audit entries, as ``inventory.services.product_create``
    does for one product."""
    for product in products:
        product.sku = product.sku or None
    with unique_violations_as_invalid_input(_PRODUCT_UNIQUE):
        return Product.objects.bulk_create(products, batch_size=BULK_BATCH_SIZE)


def product_changes(product: Product, data: dict) -> dict[str, Change]:
    """The editable fields of ``data`` whose value differs from the
    product's, as ``model_update`` answers them (a foreign key's id)."""
    unknown = set(data) - set(PRODUCT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable on Product: {sorted(unknown)}")
    changes = {}
    for name, value in data.items():
        before = Product._meta.get_field(name).value_from_object(product)
        after = value.pk if isinstance(value, Model) else value
        if after != before:
            changes[name] = Change(before, after)
    return changes


@transaction.atomic
def products_update_many(
    *, updates: Sequence[tuple[Product, dict]], by=None
) -> list[Product]:
    """``product_update`` for many products at once: each ``(product,
    changes)`` sets the editable fields given, and the products whose values
    differ are written in a few statements, recorded in the audit log in
    one, with a ``product.price_changed`` event for each new price. Answers
    the products that changed. The caller holds the rows locked."""
    changed_products, entries, fields = [], [], set()
    now = timezone.now()
    for product, data in updates:
        changes = product_changes(product, data)
        if changes:
            for name in changes:
                setattr(product, name, data[name])
            product.updated_at = now
            changed_products.append(product)
            entries.append(("update", product, changes))
            fields.update(changes)
    if not changed_products:
        return []
    with unique_violations_as_invalid_input(_PRODUCT_UNIQUE):
        rows_update(instances=changed_products, fields=sorted(fields | {"updated_at"}))
    audit.record_many(entries, by=by)
    priced = [product for _, product, changes in entries if "unit_price" in changes]
    if priced and subscribed("product.price_changed"):
        for product in priced:
            event_record(event_type="product.price_changed", instance=product)
    return changed_products


# --- Suppliers -----------------------------------------------------------------

SUPPLIER_EDITABLE_FIELDS = (
    "name",
    "email",
    "phone",
    "address",
    "lead_time_days",
    "is_active",
)
_SUPPLIER_UNIQUE = {
    "catalog_supplier_name_ci_unique": (
        "name",
        "A supplier with this name already exists (names ignore case).",
    )
}


@transaction.atomic
def supplier_create(*, name: str, **fields) -> Supplier:
    with unique_violations_as_invalid_input(_SUPPLIER_UNIQUE):
        supplier = Supplier.objects.create(name=name.strip(), **fields)
    audit.record_create(supplier, SUPPLIER_EDITABLE_FIELDS)
    return supplier


@transaction.atomic
def supplier_update(*, supplier: Supplier, **changes) -> Supplier:
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    with unique_violations_as_invalid_input(_SUPPLIER_UNIQUE):
        changed = model_update(
            instance=supplier, fields=SUPPLIER_EDITABLE_FIELDS, data=changes
        )
    audit.record_update(supplier, changed)
    return supplier


@transaction.atomic
def supplier_delete(*, supplier: Supplier) -> None:
    """Delete a supplier never ordered from; its products keep no supplier."""
    audit.record_delete(supplier, SUPPLIER_EDITABLE_FIELDS)
    delete_or_refuse(
        supplier,
        f"Supplier {supplier.name!r} has purchase orders and cannot be deleted; "
        "deactivate it instead (is_active=false).",
    )


# --- Tax classes ---------------------------------------------------------------


@dataclass(frozen=True)
class RateSpec:
    """One rate of a tax class as given: a name and a fraction in [0, 1)."""

    name: str
    rate: Decimal


def _checked_rates(rates: Sequence[RateSpec]) -> list[RateSpec]:
    """The rates, or one ``InvalidInput`` on ``rates`` naming every problem."""
    problems = []
    if len(rates) > MAX_TAX_RATES:
        problems.append(
            ("max_length", f"A tax class has at most {MAX_TAX_RATES} rates.")
        )
    seen: set[str] = set()
    for spec in rates:
        name = spec.name.strip()
        if not name or len(name) > 50:
            problems.append(("invalid", "A rate's name is 1 to 50 characters."))
        elif name.casefold() in seen:
            problems.append(
                ("duplicate_rate_name", f"Two rates are named {name!r} in the class.")
            )
        seen.add(name.casefold())
        rate = spec.rate
        if not (0 <= rate < 1) or rate != rate.quantize(Decimal(1).scaleb(-5)):
            problems.append(
                (
                    "invalid_rate",
                    f"The rate of {name!r} is {rate}: a rate is at least 0 and "
                    f"less than 1, with at most {RATE_PLACES} decimal places.",
                )
            )
    if problems:
        raise InvalidInput(errors=problems, field="rates")
    return [RateSpec(name=r.name.strip(), rate=r.rate) for r in rates]


def _rates_of(tax_class: TaxClass) -> list[dict]:
    """The class's rates as the audit log and the API write them."""
    return [
        {"name": r.name, "rate": f"{r.rate:.{RATE_PLACES}f}"}
        for r in tax_class.rates.order_by("position")
    ]


def _write_rates(tax_class: TaxClass, rates: list[RateSpec]) -> None:
    tax_class.rates.all().delete()
    TaxRate.objects.bulk_create(
        TaxRate(tax_class=tax_class, position=place, name=r.name, rate=r.rate)
        for place, r in enumerate(rates, start=1)
    )


def _take_the_default_flag(tax_class: TaxClass | None = None) -> None:
    """Unset the old default, so ``tax_class`` can be the one default."""
    others = TaxClass.objects.filter(is_default=True)
    if tax_class is not None and tax_class.pk is not None:
        others = others.exclude(pk=tax_class.pk)
    for old in others.select_for_update(no_key=True):
        changes = model_update(
            instance=old, fields=("is_default",), data={"is_default": False}
        )
        audit.record_update(old, changes)


@transaction.atomic
def tax_class_create(
    *, name: str, rates: Sequence[RateSpec] = (), is_default: bool = False
) -> TaxClass:
    """Create a class; made the default, it takes the flag from the old one."""
    checked = _checked_rates(rates)
    with unique_violations_as_invalid_input(_TAX_CLASS_UNIQUE):
        if is_default:
            _take_the_default_flag()
        tax_class = TaxClass.objects.create(name=name, is_default=is_default)
        _write_rates(tax_class, checked)
    audit.record_create(
        tax_class, ("name", "is_default"), also={"rates": _rates_of(tax_class)}
    )
    return tax_class


@transaction.atomic
def tax_class_update(
    *,
    tax_class: TaxClass,
    name: str | None = None,
    rates: Sequence[RateSpec] | None = None,
    is_default: bool | None = None,
) -> TaxClass:
    """Change a class; ``rates``, when given, replace the old ones.

    Existing orders keep the rates their lines copied: nothing here reaches
    them. The default cannot be unset, only moved to another class.
    """
    checked = None if rates is None else _checked_rates(rates)
    if is_default is False and tax_class.is_default:
        raise InvalidInput(
            f"{tax_class.name!r} is the default tax class; make another class "
            "the default instead.",
            code="default_required",
            field="is_default",
        )
    data = {}
    if name is not None:
        data["name"] = name
    if is_default:
        data["is_default"] = True
    with unique_violations_as_invalid_input(_TAX_CLASS_UNIQUE):
        if is_default:
            _take_the_default_flag(tax_class)
        changes = dict(
            model_update(instance=tax_class, fields=("name", "is_default"), data=data)
        )
        if checked is not None:
            before = _rates_of(tax_class)
            _write_rates(tax_class, checked)
            after = _rates_of(tax_class)
            if after != before:
                changes["rates"] = (before, after)
    audit.record_update(tax_class, changes)
    return tax_class


@transaction.atomic
def tax_class_delete(*, tax_class: TaxClass) -> None:
    if tax_class.is_default:
        raise ProtectedObjectError(
            f"{tax_class.name!r} is the default tax class and cannot be deleted; "
            "make another class the default first."
        )
    audit.record_delete(
        tax_class, ("name", "is_default"), also={"rates": _rates_of(tax_class)}
    )
    delete_or_refuse(
        tax_class,
        f"Tax class {tax_class.name!r} is used by products; give them another "
        "class first.",
    )
