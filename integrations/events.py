"""The outbox: services record their events here, in their own transaction.

``event_record`` is the one function domain services call. It writes the
event and one delivery per active webhook subscribed to its type, in the
caller's transaction, so a change rolled back leaves no event, and a
committed one always has its event. Nothing leaves the database here: the
worker (``integrations.worker``) sends what was committed.

``EVENTS`` says, for each event type, what its ``data`` is: the serializer
of the object as the API shows it (imported when first used, so that the
domain apps that call this module are not imported by it). Making another
event happen is one line here and one call in the service that causes it.
"""

from dataclasses import dataclass
from functools import cache

import orjson
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from rest_framework.utils.encoders import JSONEncoder

from .models import Delivery, DeliveryStatus, Event, EventType, Webhook


@dataclass(frozen=True)
class EventKind:
    object_type: str
    serializer: str  # dotted path of the API's serializer of the object


T = EventType
EVENTS: dict[str, EventKind] = {
    T.ORDER_CONFIRMED: EventKind("order", "sales.serializers.OrderSerializer"),
    T.ORDER_SHIPPED: EventKind("order", "sales.serializers.OrderSerializer"),
    T.ORDER_DELIVERED: EventKind("order", "sales.serializers.OrderSerializer"),
    T.ORDER_CANCELLED: EventKind("order", "sales.serializers.OrderSerializer"),
    T.RETURN_CREATED: EventKind("return", "sales.serializers.ReturnSerializer"),
    T.PRODUCT_PRICE_CHANGED: EventKind(
        "product", "inventory.serializers.ProductSerializer"
    ),
    T.TRANSFER_RECEIVED: EventKind(
        "transfer", "inventory.serializers.TransferSerializer"
    ),
    T.STOCK_LOW: EventKind("stock_level", "inventory.serializers.StockLevelSerializer"),
    T.PURCHASE_ORDER_RECEIVED: EventKind(
        "purchase_order", "purchasing.serializers.PurchaseOrderSerializer"
    ),
}


@cache
def _serializer(path: str):
    return import_string(path)


_DRF_DEFAULT = JSONEncoder().default


def render(data) -> str:
    """JSON text as the API writes it (DRF's encoder for what orjson lacks)."""
    return orjson.dumps(data, default=_DRF_DEFAULT).decode()


# The event and its deliveries in one statement. ORM equivalent:
# ``Event.objects.create(...)`` then ``Delivery.objects.bulk_create(...)``
# over the subscribed webhooks: two more round trips in the caller's
# transaction (a confirmation's, while its products are locked).
_RECORD = f"""
    WITH event AS (
        INSERT INTO {Event._meta.db_table}
            (type, object_type, object_id, data, created_at)
        VALUES (%(type)s, %(object_type)s, %(object_id)s, %(data)s, %(at)s)
        RETURNING id
    )
    INSERT INTO {Delivery._meta.db_table}
        (webhook_id, event_id, object_key, status, attempts, next_attempt_at,
         last_error, last_response, created_at)
    SELECT w.id, event.id, %(object_key)s, %(pending)s, 0, %(at)s, '', '', %(at)s
    FROM event, {Webhook._meta.db_table} w
    WHERE w.is_active AND w.events @> ARRAY[%(type)s]::varchar(40)[]
    RETURNING event_id
"""


# Asked by every confirmation, so written out: its ORM equivalent,
# ``Webhook.objects.filter(is_active=True, events__contains=[type]).exists()``,
# is compiled anew each time. A boolean expression with one parameter (the
# event type), which a caller may also put in a statement of its own.
SUBSCRIBED = f"""EXISTS (
    SELECT 1 FROM {Webhook._meta.db_table}
    WHERE is_active AND events @> ARRAY[%s]::varchar(40)[]
)"""
_SUBSCRIBED = f"SELECT {SUBSCRIBED}"


def subscribed(event_type: str) -> bool:
    """Whether an active webhook subscribes to ``event_type``."""
    with connection.cursor() as cursor:
        cursor.execute(_SUBSCRIBED, [str(event_type)])
        return cursor.fetchone()[0]


def event_record(
    *, event_type: str, instance, subscribed_now: bool | None = None
) -> int | None:
    """Record that ``event_type`` happened to ``instance``; answer the event's id.

    Must run inside the transaction of the change. When no active webhook
    subscribes to the type, nothing is written (``None``): an event nobody
    is sent would only be purged later. ``subscribed_now``: whether one
    does, when the caller read it (``SUBSCRIBED``) earlier in the transaction.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_record runs in the transaction of the change.")
    kind = EVENTS[event_type]
    if subscribed_now is None:
        subscribed_now = subscribed(event_type)
    if not subscribed_now:
        return None
    data = render(_serializer(kind.serializer)(instance).data)
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD,
            {
                "type": str(event_type),
                "object_type": kind.object_type,
                "object_id": instance.pk,
                "object_key": f"{kind.object_type}:{instance.pk}",
                "data": data,
                "at": timezone.now(),
                "pending": DeliveryStatus.PENDING,
            },
        )
        row = cursor.fetchone()
    return row[0] if row else None
