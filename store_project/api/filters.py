"""Filter pieces shared by the apps."""

import re
from datetime import UTC, timedelta

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1
# What a decimal filter value may look like: no exponent, sign only "-".
_DECIMAL = r"^-?\d{1,10}(\.\d{1,2})?$"


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class StrictIntegerFilter(django_filters.NumberFilter):
    """An id filter: whole numbers only, within a 64-bit key's range."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is refused, not ignored.

    django-filter's own boolean filter treats an unknown value as no filter,
    so ``?is_active=yes-please`` silently listed everything.
    """

    default_error_messages = {"invalid": "Enter true or false."}
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self._VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictDecimalField(forms.DecimalField):
    """A decimal written plainly, as the schema's pattern says (no ``1e2``)."""

    def to_python(self, value):
        if value not in self.empty_values and not re.match(_DECIMAL, str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": _DECIMAL})
class StrictDecimalFilter(django_filters.NumberFilter):
    """A price bound: up to 10 digits before the point and 2 after."""

    field_class = StrictDecimalField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
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


# RFC 3339 allows offsets up to 23:59; PostgreSQL (and so the field) 15:59.
@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": r"(?:[Zz]|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])$",
    }
)
class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of its filters.

    With none of its parameters a FilterSet filters nothing (empty values are
    skipped), yet building it, its form and every field's cleaning costs each
    list request. Any parameter that starts like a filter's name (``price``
    for ``price_min``, say) keeps the full path, so nothing else changes.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = filterset_class.base_filters
        if not any(key.startswith(tuple(names)) for key in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)
