"""Filter pieces shared by the apps."""

from datetime import UTC, timedelta

import django_filters
from django import forms


class StrictIntegerFilter(django_filters.NumberFilter):
    """An id filter: whole numbers only, within a 64-bit key's range."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(forms.DateTimeField):
    """An ISO 8601 date-time turned into UTC, within what PostgreSQL accepts."""

    def to_python(self, value):
        try:
            result = super().to_python(value)
        except OverflowError as exc:
            raise forms.ValidationError(
                "Enter a valid date/time.", code="invalid"
            ) from exc
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and abs(offset) >= timedelta(hours=16):
            raise forms.ValidationError(
                "The time zone offset is out of range.", code="invalid"
            )
        try:
            return result.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(
                "The date/time is out of range.", code="invalid"
            ) from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
