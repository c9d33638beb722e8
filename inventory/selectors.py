"""Reads of stock and locations, for this app and the ones that use it."""

from django.db.models import BooleanField, F, IntegerField, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from catalog.models import Product

from .models import Location, StockLevel, StockMovement

ALL_LOCATIONS_PERMISSION = "inventory.access_all_locations"

# A product's total stock, the sum of its stock levels, for the product
# list's one query (and its ordering and low-stock filter). Written as SQL:
# its ORM equivalent, ``Coalesce(Subquery(StockLevel.objects.filter(
# product=OuterRef("pk")).values("product").annotate(s=Sum("on_hand"))
# .values("s")), 0)``, is resolved anew on every request, as the is_low_stock
# expression was. An index scan of the (product, location) unique index.
_TOTAL = (
    f"(SELECT COALESCE(SUM(s.on_hand), 0) FROM {StockLevel._meta.db_table} s "
    f'WHERE s.product_id = "{Product._meta.db_table}"."id")'
)
PRODUCT_STOCK = RawSQL(_TOTAL, (), output_field=IntegerField())
PRODUCT_IS_LOW_STOCK = RawSQL(
    f'{_TOTAL} <= "{Product._meta.db_table}"."reorder_level"',
    (),
    output_field=BooleanField(),
)


def products_with_stock() -> QuerySet[Product]:
    """Products with ``stock`` (over every location) and ``is_low_stock``."""
    return Product.objects.annotate(
        stock=PRODUCT_STOCK, is_low_stock=PRODUCT_IS_LOW_STOCK
    )


def product_stock(*, product_id: int) -> int:
    """A product's total stock over every location."""
    total = StockLevel.objects.filter(product_id=product_id).aggregate(
        total=Sum("on_hand")
    )["total"]
    return total or 0


def stock_moved_for_order(*, order_id: int) -> dict[int, dict[int, int]]:
    """Net stock change the ledger records for an order: location id to
    product id to quantity (signed), nothing netted to zero."""
    rows = (
        StockMovement.objects.filter(order_id=order_id)
        .values_list("location_id", "product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    moved: dict[int, dict[int, int]] = {}
    for location_id, product_id, total in rows:
        if total:
            moved.setdefault(location_id, {})[product_id] = total
    return moved


# --- Who sees which location ---------------------------------------------------


def location_scope(user) -> frozenset[int] | None:
    """The ids of the locations ``user`` is scoped to, or None for all.

    The contract's rule, decided here only: a user whose employee record
    lists locations, and who is neither a superuser nor allowed every
    location (the manager role), sees those locations only. Read once per
    user object (a request's user).
    """
    cached = getattr(user, "_location_scope", False)
    if cached is not False:
        return cached
    scope = None
    if (
        user is not None
        and user.is_authenticated
        and not user.is_superuser
        and not user.has_perm(ALL_LOCATIONS_PERMISSION)
    ):
        ids = getattr(user, "_employee_location_ids", None)
        if ids is None:
            # The employees' locations, through the relation staff declares:
            # inventory does not import staff, which depends on it.
            ids = Location.objects.filter(employees__user=user).values_list(
                "id", flat=True
            )
        scope = frozenset(ids) or None
    user._location_scope = scope
    return scope


def remember_employee_locations(user, location_ids) -> None:
    """Give ``location_scope`` the ids of ``user``'s employee's locations,
    read by the caller (token authentication reads them with the user)."""
    user._employee_location_ids = frozenset(location_ids)


def scoped(queryset: QuerySet, user, *fields: str) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may see: rows whose location
    (any of ``fields``, default ``location``) is in the user's scope."""
    scope = location_scope(user)
    if scope is None:
        return queryset
    condition = Q()
    for field in fields or ("location",):
        condition |= Q(**{f"{field}__in": scope})
    return queryset.filter(condition)


def low_stock_levels(*, user, limit: int = 10) -> tuple[list[StockLevel], int]:
    """Stock levels of active products at or below their own reorder level
    (one that was set), at the locations ``user`` sees, the shortest first.

    Returns at most ``limit`` of them, and how many there are in all.
    """
    low = scoped(
        StockLevel.objects.filter(
            product__is_active=True,
            reorder_level__gt=0,
            on_hand__lte=F("reorder_level"),
        ),
        user,
    )
    levels = list(
        low.select_related("product", "location").order_by(
            F("on_hand") - F("reorder_level"), "location__code", "product__name", "pk"
        )[:limit]
    )
    count = len(levels) if len(levels) < limit else low.count()
    return levels, count
