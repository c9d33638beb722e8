"""Output helpers for hand-written ``to_representation`` on hot endpoints.

DRF's generic ``Serializer.to_representation`` walks every field of every row
through ``get_attribute`` and the field's own ``to_representation``; on a
page of 50 rows that is most of a list request's CPU time. Serializers of hot
lists write their rows by hand with these helpers, which give exactly DRF's
output (tests compare both on the same objects).
"""

from datetime import datetime, tzinfo
from decimal import Decimal

from django.utils import timezone

_CENT = Decimal("0.01")


def money(value: Decimal | None) -> str | None:
    """A ``DecimalField(decimal_places=2)`` as DRF writes it: ``"19.90"``."""
    return None if value is None else f"{value.quantize(_CENT):f}"


def timestamp(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """A ``DateTimeField`` as DRF writes it: ISO 8601, ``Z`` for UTC.

    ``tz`` is the current time zone when the caller has it at hand: looking
    it up costs more than the rest of this function.
    """
    if value is None:
        return None
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
