"""Every write to locations, stock levels and the stock ledger goes through here."""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from audit import services as audit
from catalog import services as catalog_services
from catalog.models import Category, Product
from integrations.events import event_record, subscribed
from integrations.models import EventType
from store_project.db.errors import (
    delete_or_refuse,
    row_lock_timeout,
    unique_violations_as_invalid_input,
)
from store_project.db.reads import instance_from_row
from store_project.db.updates import model_update
from store_project.exceptions import InvalidInput, ProtectedObjectError

from .exceptions import (
    EmptyTransfer,
    IllegalTransferTransition,
    InsufficientStock,
    TransferNotEditable,
)
from .models import (
    MAX_INT,
    Location,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
)

Reason = StockMovement.Reason
ADJUSTMENT_REASONS = (Reason.RESTOCK, Reason.CORRECTION, Reason.DAMAGE, Reason.RETURN)

LOCATION_EDITABLE_FIELDS = ("code", "name", "kind", "address", "is_active")
_LOCATION_UNIQUE = {
    "inventory_location_code_key": ("code", "A location with this code exists."),
    "inventory_location_code_": ("code", "A location with this code exists."),
}


# --- Locations -----------------------------------------------------------------


# Read by every order, adjustment and transfer that names no location, so
# written out: its ORM equivalent,
# ``Location.objects.get(is_default=True)``, compiled a statement each time
# for a one-row read.
_LOCATION_FIELDS = [f.attname for f in Location._meta.concrete_fields]
_DEFAULT = (
    f"SELECT {', '.join(f.column for f in Location._meta.concrete_fields)} "
    f"FROM {Location._meta.db_table} WHERE is_default"
)


def location_default() -> Location:
    """The default location (``MAIN`` after migrate)."""
    with connection.cursor() as cursor:
        cursor.execute(_DEFAULT)
        row = cursor.fetchone()
    if row is None:
        raise Location.DoesNotExist("There is no default location.")
    return instance_from_row(Location, _LOCATION_FIELDS, row)


def location_usable(
    location: Location | None, *, field: str = "location", within=None
) -> Location:
    """``location``, or the default; refused (400 on ``field``) when inactive
    or, for a scoped user (``within`` = their location ids), out of scope."""
    if location is None:
        location = location_default()
    if within is not None and location.pk not in within:
        raise InvalidInput(
            f"Location {location.code} is not one of yours.",
            code="out_of_scope",
            field=field,
        )
    if not location.is_active:
        raise InvalidInput(
            f"Location {location.code} is inactive and takes no new stock operations.",
            code="inactive_location",
            field=field,
        )
    return location


@transaction.atomic
def location_create(
    *,
    code: str,
    name: str,
    kind: str = Location.Kind.STORE,
    address: str = "",
    is_active: bool = True,
    is_default: bool = False,
) -> Location:
    if is_default and not is_active:
        raise InvalidInput(
            "An inactive location cannot be the default.",
            code="default_inactive",
            field="is_default",
        )
    with unique_violations_as_invalid_input(_LOCATION_UNIQUE):
        location = Location.objects.create(
            code=code.upper(),
            name=name,
            kind=kind,
            address=address,
            is_active=is_active,
        )
    if is_default:
        _make_default(location)
    audit.record_create(location, (*LOCATION_EDITABLE_FIELDS, "is_default"))
    return location


@transaction.atomic
def location_update(*, location: Location, **changes) -> Location:
    """Change a location; ``is_default=True`` moves the default flag to it."""
    make_default = changes.pop("is_default", None)
    if "code" in changes:
        changes["code"] = changes["code"].upper()
    # As stored, not as the instance says: the admin's form sets its values
    # on the instance before calling this.
    is_default, is_active = (
        Location.objects.filter(pk=location.pk)
        .values_list("is_default", "is_active")
        .get()
    )
    location.is_default = is_default
    will_be_active = changes.get("is_active", is_active)
    if is_default and make_default is not False and not will_be_active:
        raise InvalidInput(
            "The default location cannot be deactivated; make another one the "
            "default first.",
            code="default_inactive",
            field="is_active",
        )
    if make_default is False and is_default:
        raise InvalidInput(
            "There is always one default location; make another one the default "
            "instead.",
            code="default_required",
            field="is_default",
        )
    if make_default and not will_be_active:
        raise InvalidInput(
            "An inactive location cannot be the default.",
            code="default_inactive",
            field="is_default",
        )
    with unique_violations_as_invalid_input(_LOCATION_UNIQUE):
        changed = dict(
            model_update(
                instance=location, fields=LOCATION_EDITABLE_FIELDS, data=changes
            )
        )
    if make_default and not location.is_default:
        previous = _make_default(location)
        changed["is_default"] = (False, True)
        if previous is not None:
            audit.record_update(previous, {"is_default": (True, False)})
    audit.record_update(location, changed)
    return location


def _make_default(location: Location) -> Location | None:
    """Move the default flag to ``location``; answer the previous default."""
    # Lock the current default first, so two requests making different
    # locations the default run one after the other; the partial unique index
    # refuses a second default anyway.
    with row_lock_timeout("The default location"):
        previous = (
            Location.objects.select_for_update(no_key=True)
            .filter(is_default=True)
            .exclude(pk=location.pk)
            .first()
        )
    if previous is not None:
        Location.objects.filter(pk=previous.pk).update(is_default=False)
    Location.objects.filter(pk=location.pk).update(is_default=True)
    location.is_default = True
    return previous


@transaction.atomic
def location_delete(*, location: Location) -> None:
    if location.is_default:
        raise ProtectedObjectError(
            "The default location cannot be deleted; make another one the "
            "default first."
        )
    audit.record_delete(location, (*LOCATION_EDITABLE_FIELDS, "is_default"))
    delete_or_refuse(
        location,
        f"Location {location.code} has stock, movements, orders or transfers and "
        "cannot be deleted; deactivate it instead (is_active=false).",
    )


# --- Products with their stock -------------------------------------------------


@transaction.atomic
def product_create(
    *,
    category: Category,
    name: str,
    unit_price: Decimal,
    stock: int = 0,
    by: AbstractBaseUser | None = None,
    **fields,
) -> Product:
    """Create a product; its opening stock is the ledger's ``initial``
    movement at the default location."""
    product = catalog_services.product_create(
        category=category, name=name, unit_price=unit_price, **fields
    )
    audit.record_create(
        product,
        catalog_services.PRODUCT_EDITABLE_FIELDS,
        also={"stock": stock},
        by=by,
    )
    if stock:
        stock_apply(
            location_id=location_default().pk,
            changes={product.pk: stock},
            reason=Reason.INITIAL,
            by=by,
            savepoint=False,  # this transaction rolls back whole
        )
    return product


# --- Stock ---------------------------------------------------------------------

_LEVEL = StockLevel._meta.db_table
_MOVEMENT = StockMovement._meta.db_table
_PRODUCT = Product._meta.db_table

# Every change at one location and its ledger row in one statement, so one
# round trip while the stock levels are locked. The change is an upsert of
# each (product, location) stock level, in product order: a row that exists
# is locked (``ON CONFLICT DO UPDATE`` locks it ``FOR NO KEY UPDATE``, the
# key does not change) and read as the latest committed version, even one
# committed after the statement began, so the bound (``WHERE``) is checked
# against the quantity as locked; a row that does not exist is created with
# the units gained, or with none for a product short there (a refusal, rolled
# back with the rest). ``xmax = 0`` tells a created row from an updated one.
# Only stock levels are locked, never the product: confirmations of one
# product at two locations change different rows and never wait for each
# other. Quantities are bigint so the bound check cannot overflow. The ORM's
# equivalent is a ``select_for_update(no_key=True)`` read, a ``get_or_create``
# and an ``UPDATE`` per row and a ``bulk_create`` of the ledger: several
# round trips per product while the locks are held.
_STOCK_UPDATE_AND_LEDGER = f"""
    WITH change AS (
        SELECT * FROM unnest(
            %(products)s::bigint[], %(quantities)s::bigint[], %(costs)s::numeric[]
        ) AS c (product_id, quantity, unit_cost)
    ), changed AS (
        INSERT INTO {_LEVEL} AS s
            (product_id, location_id, on_hand, reorder_level, updated_at)
        SELECT c.product_id, %(location)s,
            CASE WHEN c.quantity BETWEEN 0 AND %(max)s THEN c.quantity ELSE 0 END,
            0, %(now)s
        FROM change c JOIN {_PRODUCT} p ON p.id = c.product_id
        ORDER BY c.product_id
        ON CONFLICT (product_id, location_id) DO UPDATE
        SET on_hand = s.on_hand + (
                SELECT quantity FROM change WHERE product_id = s.product_id),
            updated_at = %(now)s
        WHERE s.on_hand + (SELECT quantity FROM change WHERE product_id = s.product_id)
            BETWEEN 0 AND %(max)s
        RETURNING s.product_id, s.on_hand, s.reorder_level, s.xmax = 0 AS created
    ), applied AS (
        SELECT ch.product_id, ch.on_hand, ch.reorder_level, c.quantity, c.unit_cost
        FROM changed ch JOIN change c ON c.product_id = ch.product_id
        WHERE NOT ch.created OR c.quantity BETWEEN 0 AND %(max)s
    ), ledger AS (
        INSERT INTO {_MOVEMENT}
            (product_id, location_id, quantity, reason, order_id, transfer_id,
             purchase_order_id, return_id, unit_cost, note, created_by_id,
             created_at)
        SELECT product_id, %(location)s, quantity, %(reason)s, %(order)s,
            %(transfer)s, %(purchase_order)s, %(return)s, unit_cost, %(note)s,
            %(by)s, %(now)s
        FROM applied
    )
    SELECT product_id, on_hand, reorder_level, quantity FROM applied
"""


def stock_apply(
    *,
    location_id: int,
    changes: Mapping[int, int],
    reason: str,
    by: AbstractBaseUser | None = None,
    order_id: int | None = None,
    transfer_id: int | None = None,
    purchase_order_id: int | None = None,
    return_id: int | None = None,
    unit_costs: Mapping[int, Decimal] | None = None,
    note: str = "",
    savepoint: bool = True,
) -> dict[int, int]:
    """Change the stock of several products at one location, all or nothing.

    ``changes`` maps product ids to signed quantities. If any product would
    go below zero there, one ``InsufficientStock`` names each short product
    with what that location has, and nothing is written. Returns the new
    on-hand quantities by product id. Each change is written to the ledger,
    with its location, in the same transaction, so every stock level always
    equals the sum of its movements. The order, transfer, purchase order or
    return the change belongs to and ``unit_costs`` (by product id, for goods
    received at a cost) are written on its movements.

    A transaction that changes several locations calls this once per
    location in location-id order, so its locks stay in (product, location)
    order within each call and two such transactions cannot deadlock.

    ``savepoint=False`` is for a caller already in a transaction that is
    rolled back whole when this raises (``order_transition``): it saves the
    savepoint's two round trips, one of them while the rows are locked.
    """
    with transaction.atomic(savepoint=savepoint):
        return _stock_apply(
            location_id=location_id,
            changes=changes,
            reason=reason,
            by=by,
            refs={
                "order": order_id,
                "transfer": transfer_id,
                "purchase_order": purchase_order_id,
                "return": return_id,
            },
            unit_costs=unit_costs or {},
            note=note,
        )


def _stock_apply(
    *, location_id, changes, reason, by, refs, unit_costs, note
) -> dict[int, int]:
    changes = {pk: qty for pk, qty in sorted(changes.items()) if qty}
    if not changes:
        return {}
    now = timezone.now()
    user = _user_or_none(by)
    # Any two transactions lock the stock levels they share in the same
    # (product, location) order, so they cannot deadlock; the locks are held
    # from this statement to the commit only. A refused change writes
    # nothing: the error below rolls back the changes already made.
    params = {
        "products": list(changes),
        "quantities": list(changes.values()),
        "costs": [unit_costs.get(pk) for pk in changes],
        "location": location_id,
        "max": MAX_INT,
        "now": now,
        "reason": reason,
        **refs,
        "note": note,
        "by": user and user.pk,
    }
    with row_lock_timeout("The stock of these products"), connection.cursor() as cursor:
        cursor.execute(_STOCK_UPDATE_AND_LEDGER, params)
        rows = cursor.fetchall()
    new_stock = {product_id: on_hand for product_id, on_hand, *_ in rows}
    if len(new_stock) != len(changes):
        _refuse(changes, location_id, refused=set(changes) - set(new_stock))
    # A level that was above its own reorder level (one that is set) and is
    # now at or below it has just become low.
    low = [
        product_id
        for product_id, on_hand, level, quantity in rows
        if level and on_hand <= level < on_hand - quantity
    ]
    if low and subscribed(EventType.STOCK_LOW):
        levels = StockLevel.objects.filter(location_id=location_id, product_id__in=low)
        for level in levels.select_related("product").order_by("product_id"):
            event_record(event_type=EventType.STOCK_LOW, instance=level)
    return new_stock


def _refuse(changes: Mapping[int, int], location_id: int, *, refused: set[int]):
    """Raise the error that names every refused change (nothing is kept)."""
    products = dict(
        Product.objects.filter(pk__in=refused).order_by("pk").values_list("pk", "name")
    )
    missing = sorted(refused - set(products))
    if missing:
        raise Product.DoesNotExist(f"No products with ids {missing}")
    on_hand = dict(
        StockLevel.objects.filter(
            location_id=location_id, product_id__in=refused
        ).values_list("product_id", "on_hand")
    )
    shortages = [
        {
            "product": pk,
            "name": name,
            "requested": -changes[pk],
            "available": on_hand.get(pk, 0),
        }
        for pk, name in products.items()
        if changes[pk] < 0
    ]
    if shortages:
        code = (
            Location.objects.filter(pk=location_id)
            .values_list("code", flat=True)
            .first()
        )
        raise InsufficientStock(shortages, location=code)
    too_much = [name for pk, name in products.items() if changes[pk] > 0]
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
    location: Location | None = None,
    note: str = "",
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
) -> Product:
    """A manual stock change (restock, correction, damage, return) at one
    location, the default one unless given. ``within``: the location ids a
    scoped user may act at (None: every location)."""
    if reason not in ADJUSTMENT_REASONS:
        raise InvalidInput(
            f"{reason!r} is not a stock adjustment reason.", field="reason"
        )
    if not quantity:
        raise InvalidInput("The quantity must not be zero.", field="quantity")
    location = location_usable(location, within=within)
    stock_apply(
        location_id=location.pk,
        changes={product.pk: quantity},
        reason=reason,
        note=note,
        by=by,
    )
    return product


STOCK_LEVEL_EDITABLE_FIELDS = ("reorder_level",)


def stock_level_update(*, stock_level: StockLevel, **changes) -> StockLevel:
    """Change a stock level's reorder level; its on-hand moves only with stock."""
    model_update(instance=stock_level, fields=STOCK_LEVEL_EDITABLE_FIELDS, data=changes)
    return stock_level


def _user_or_none(user: AbstractBaseUser | None):
    return user if user is not None and user.is_authenticated else None


# --- Transfers -----------------------------------------------------------------
#
# A transfer's status moves only through ``transfer_transition``, which reads
# ``TRANSFER_TRANSITIONS``: each entry carries its sources, target, stamp,
# effect, permission and labels, which the API actions and the admin's buttons
# read too. The transfer row is locked first, then the effect locks stock
# levels in product order at one location.


@dataclass(frozen=True)
class TransferLineSpec:
    product: Product
    quantity: int


TRANSFER_EDITABLE_FIELDS = ("from_location", "to_location", "notes")
_TRANSFER_LINE_UNIQUE = {
    "inventory_transferline_once": (
        "lines",
        "The same product appears on two lines; put the quantity on one line.",
    )
}
_TRANSFER_AUDITED = ("from_location", "to_location", "notes", "status")


def _check_ends(
    from_location: Location, to_location: Location, within: Collection[int] | None
) -> None:
    if from_location.pk == to_location.pk:
        raise InvalidInput(
            "A transfer goes from one location to another one.",
            code="same_location",
            field="to_location",
        )
    location_usable(from_location, field="from_location", within=within)
    location_usable(to_location, field="to_location")


def _transfer_lines(transfer: Transfer, lines: list[TransferLineSpec]) -> None:
    inactive = [line.product for line in lines if not line.product.is_active]
    if inactive:
        raise InvalidInput(
            errors=[
                ("inactive_product", f"Product {p.name!r} (id {p.pk}) is not active.")
                for p in inactive
            ],
            field="lines",
        )
    with unique_violations_as_invalid_input(_TRANSFER_LINE_UNIQUE):
        TransferLine.objects.bulk_create(
            TransferLine(
                transfer=transfer, product=line.product, quantity=line.quantity
            )
            for line in lines
        )


@transaction.atomic
def transfer_create(
    *,
    from_location: Location,
    to_location: Location,
    lines: Iterable[TransferLineSpec] = (),
    notes: str = "",
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
) -> Transfer:
    """A draft transfer. ``within``: the location ids a scoped user may send
    from (None: every location)."""
    _check_ends(from_location, to_location, within)
    transfer = Transfer.objects.create(
        from_location=from_location,
        to_location=to_location,
        notes=notes,
        created_by=_user_or_none(by),
    )
    lines = list(lines)
    _transfer_lines(transfer, lines)
    audit.record_create(
        transfer, _TRANSFER_AUDITED, also={"lines": _lines_audited(lines)}, by=by
    )
    return transfer


@transaction.atomic
def transfer_update(
    *,
    transfer: Transfer,
    lines: Iterable[TransferLineSpec] | None = None,
    within: Collection[int] | None = None,
    **changes,
) -> Transfer:
    """Change a draft; ``lines``, when given, replace all the old lines."""
    transfer = _lock_transfer(transfer.pk, within=within)
    _only_draft(transfer, "edited")
    from_location = changes.get("from_location", transfer.from_location)
    to_location = changes.get("to_location", transfer.to_location)
    _check_ends(from_location, to_location, within)
    changed = dict(
        model_update(instance=transfer, fields=TRANSFER_EDITABLE_FIELDS, data=changes)
    )
    if lines is not None:
        lines = list(lines)
        before = _lines_audited(transfer.lines.all())
        transfer.lines.all().delete()
        _transfer_lines(transfer, lines)
        if _lines_audited(lines) != before:
            changed["lines"] = (before, _lines_audited(lines))
    audit.record_update(transfer, changed)
    return transfer


@transaction.atomic
def transfer_delete(*, transfer: Transfer, within: Collection[int] | None = None):
    locked = _lock_transfer(transfer.pk, lock="UPDATE", within=within)
    _only_draft(locked, "deleted")
    audit.record_delete(locked, _TRANSFER_AUDITED)
    locked.delete()


def _lines_audited(lines) -> list[list[int]]:
    return sorted([line.product.pk, line.quantity] for line in lines)


def _only_draft(transfer: Transfer, verb: str) -> None:
    if transfer.status != Transfer.Status.DRAFT:
        raise TransferNotEditable(
            f"Transfer #{transfer.pk} is {transfer.status} and can no longer be "
            f"{verb}; only draft transfers can."
        )


def _lock_transfer(
    transfer_id: int, lock: str = "NO KEY UPDATE", within=None
) -> Transfer:
    """The transfer, locked until the commit; one of another location (at
    neither end, for a scoped user) is no such transfer. ``NO KEY UPDATE``
    unless it is to be deleted (see ``sales.services._lock_order``)."""
    transfers = Transfer.objects.select_related("from_location", "to_location")
    if within is not None:
        transfers = transfers.filter(
            Q(from_location__in=within) | Q(to_location__in=within)
        )
    with row_lock_timeout(f"Transfer #{transfer_id}"):
        return transfers.select_for_update(
            no_key=lock == "NO KEY UPDATE", of=("self",)
        ).get(pk=transfer_id)


def _ship(transfer: Transfer, lines: dict[int, int], received, by) -> None:
    if not lines:
        raise EmptyTransfer(
            f"Transfer #{transfer.pk} has no lines; add lines before shipping."
        )
    stock_apply(
        location_id=transfer.from_location_id,
        changes={product: -quantity for product, quantity in lines.items()},
        reason=Reason.TRANSFER_OUT,
        transfer_id=transfer.pk,
        by=by,
        savepoint=False,  # transfer_transition's transaction rolls back whole
    )


def _receive(transfer: Transfer, lines: dict[int, int], received, by) -> None:
    """Add what arrived at the destination; record it on each line."""
    arrived = dict.fromkeys(lines, 0) if received is not None else dict(lines)
    for product, quantity in (received or {}).items():
        if product not in lines:
            raise InvalidInput(
                f"Product {product} is not on transfer #{transfer.pk}.",
                code="not_on_transfer",
                field="lines",
            )
        if quantity > lines[product]:
            raise InvalidInput(
                f"Product {product}: {quantity} received, but only "
                f"{lines[product]} shipped.",
                code="more_than_shipped",
                field="lines",
            )
        arrived[product] = quantity
    for product, quantity in arrived.items():
        TransferLine.objects.filter(transfer=transfer, product_id=product).update(
            received_quantity=quantity
        )
    stock_apply(
        location_id=transfer.to_location_id,
        changes=arrived,
        reason=Reason.TRANSFER_IN,
        transfer_id=transfer.pk,
        by=by,
        savepoint=False,
    )


def _give_back(transfer: Transfer, lines: dict[int, int], received, by) -> None:
    """An in-transit transfer's units go back where the ledger says they
    left (nothing for a draft)."""
    taken = dict(
        StockMovement.objects.filter(transfer=transfer, reason=Reason.TRANSFER_OUT)
        .values_list("product_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    stock_apply(
        location_id=transfer.from_location_id,
        changes={product: -total for product, total in taken.items()},
        reason=Reason.TRANSFER_IN,
        transfer_id=transfer.pk,
        by=by,
        savepoint=False,
    )


@dataclass(frozen=True)
class TransferTransition:
    """One move of a transfer: what it does, who may, what it is called."""

    sources: frozenset[str]
    target: str
    stamp: str
    permission: str
    label: str
    past_tense: str
    effect: Callable[..., None]
    # Which end a scoped user must work at to make the move.
    end: str = "from_location"
    event: str | None = None  # recorded for the webhooks, in the same transaction


T = Transfer.Status
TRANSFER_TRANSITIONS: dict[str, TransferTransition] = {
    "ship": TransferTransition(
        sources=frozenset({T.DRAFT}),
        target=T.IN_TRANSIT,
        stamp="shipped_at",
        permission="inventory.ship_transfer",
        label="Ship",
        past_tense="shipped",
        effect=_ship,
    ),
    "receive": TransferTransition(
        sources=frozenset({T.IN_TRANSIT}),
        target=T.RECEIVED,
        stamp="received_at",
        permission="inventory.receive_transfer",
        label="Receive",
        past_tense="received",
        effect=_receive,
        end="to_location",
        event=EventType.TRANSFER_RECEIVED,
    ),
    "cancel": TransferTransition(
        sources=frozenset({T.DRAFT, T.IN_TRANSIT}),
        target=T.CANCELLED,
        stamp="cancelled_at",
        permission="inventory.cancel_transfer",
        label="Cancel",
        past_tense="cancelled",
        effect=_give_back,
    ),
}


@transaction.atomic
def transfer_transition(
    *,
    transfer_id: int,
    action: str,
    by: AbstractBaseUser | None = None,
    within: Collection[int] | None = None,
    received: Mapping[int, int] | None = None,
) -> Transfer:
    """Apply one of ``TRANSFER_TRANSITIONS``, with its stock, all or nothing.

    ``received`` (receive only) maps product ids to the units that arrived;
    a line left out received 0; None: everything shipped arrived. Raises
    ``Transfer.DoesNotExist``, also for a transfer at neither end of
    ``within`` (the location ids a scoped user may see).
    """
    transition = TRANSFER_TRANSITIONS[action]
    transfer = _lock_transfer(transfer_id, within=within)
    end = getattr(transfer, transition.end)
    if within is not None and end.pk not in within:
        raise InvalidInput(
            f"Transfer #{transfer.pk}: {end.code} is not one of your locations.",
            code="out_of_scope",
            field=transition.end,
        )
    if transfer.status not in transition.sources:
        allowed = " or ".join(sorted(transition.sources))
        raise IllegalTransferTransition(
            f"Cannot {action} transfer #{transfer.pk}: it is {transfer.status}; "
            f"only {allowed} transfers can be {transition.target}."
        )
    if action == "ship":
        location_usable(transfer.from_location, field="from_location")
    previous, now = transfer.status, timezone.now()
    transfer.status = transition.target
    setattr(transfer, transition.stamp, now)
    transfer.save(update_fields=["status", transition.stamp, "updated_at"])
    lines = dict(transfer.lines.values_list("product_id", "quantity"))
    if previous == T.IN_TRANSIT or action != "cancel":
        transition.effect(transfer, lines, received, by)
    if transition.event is not None:
        event_record(event_type=transition.event, instance=transfer)
    audit.record(
        action=action,
        instance=transfer,
        changes={"status": (previous, transition.target)},
        by=by,
    )
    return transfer
