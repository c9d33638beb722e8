"""Every write to the catalog goes through here (stock: ``inventory.services``)."""

from decimal import Decimal

from django.db import transaction

from audit import services as audit
from store_project.db.errors import delete_or_refuse, unique_violations_as_invalid_input
from store_project.db.updates import model_update

from .models import Category, Product

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


def product_create(
    *,
    category: Category,
    name: str,
    unit_price: Decimal,
    sku: str | None = None,
    description: str = "",
    reorder_level: int = 0,
    is_active: bool = True,
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
