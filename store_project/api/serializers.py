"""Serializer pieces shared by the apps."""

import re
from datetime import UTC, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import connection
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A price as the schema documents it: > 0, at most 8 digits before the point
# and 2 after, written plainly (no sign, exponent or spaces).
PRICE_PATTERN = r"^(?:0*[1-9][0-9]{0,7}(?:\.[0-9]{1,2})?|0+\.(?:[1-9][0-9]?|0[1-9]))$"
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# One character that str.strip() keeps: Python's whitespace differs from a
# JSON Schema (ECMA) \s, e.g. on U+001C-U+001F and U+0085.
NOT_BLANK_PATTERN = "[^{}]".format(
    "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace())
)


class StrictStringMixin:
    """Refuse numbers and booleans where text is expected (DRF coerces them)."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only; DRF also takes 0, 1, "yes", "on"...

    Form submissions (the browsable API) send text, so they keep DRF's rules.
    """

    def to_internal_value(self, data):
        from_form = isinstance(getattr(self.root, "initial_data", None), QueryDict)
        if not isinstance(data, bool) and not from_form:
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """Text that may not be blank is trimmed first: "  " is blank too.

    The schema says so with a pattern (one character that is not space), so
    a client or the fuzzer does not take whitespace for a valid name.
    """

    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(
            field, direction, bypass_extensions=True
        )
        if (
            direction == "request"
            and not field.allow_blank
            and field.trim_whitespace
            and "pattern" not in schema
            # A field's own pattern (added after this) says more.
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_BLANK_PATTERN
        return schema


_BASE_MAPPING = serializers.ModelSerializer.serializer_field_mapping
_STRICT = {
    serializers.CharField: StrictCharField,
    serializers.EmailField: StrictEmailField,
    serializers.BooleanField: StrictBooleanField,
}


class ModelSerializer(serializers.ModelSerializer):
    """The project's ModelSerializer: text fields accept only JSON strings."""

    serializer_field_mapping = {
        model_field: _STRICT.get(field, field)
        for model_field, field in _BASE_MAPPING.items()
    }


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": PRICE_PATTERN,
        "example": "19.99",
    }
)
class PriceField(serializers.DecimalField):
    """Money in: a decimal string such as ``"19.99"``, never a JSON number.

    DRF's DecimalField also takes numbers and ``"1e2"``, which the contract
    ("money is a decimal string") and the documented pattern do not.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", Decimal("99999999.99"))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _PLAIN_DECIMAL.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedListSerializer(serializers.ListSerializer):
    """A nested list whose ``min_length``/``max_length`` the schema states.

    drf-spectacular leaves a ``ListSerializer``'s bounds out of the document,
    so a client (or the fuzzer) cannot know that a sixth item is refused.
    """


class BoundedListSchema(OpenApiSerializerFieldExtension):
    target_class = BoundedListSerializer
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(
            field, direction, bypass_extensions=True
        )
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        if field.min_length is not None:
            schema["minItems"] = field.min_length
        return schema


# RFC 3339 allows offsets up to 23:59; PostgreSQL (and so the field) 15:59.
@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": r"(?:[Zz]|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])$",
    }
)
class UtcDateTimeField(serializers.DateTimeField):
    """A date-time in, turned into UTC, within what PostgreSQL stores."""

    default_error_messages = {"range": "The date/time or its offset is out of range."}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        try:
            # The offset as written: DRF's own parsing converts it away.
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        offset = parsed.utcoffset() if parsed is not None else None
        if offset is not None and abs(offset) >= timedelta(hours=16):
            self.fail("range")
        try:
            return super().to_internal_value(value).astimezone(UTC)
        except OverflowError:
            self.fail("range")


class KeyReferenceField(serializers.PrimaryKeyRelatedField):
    """An object named by its integer primary key, answered without reading it.

    For a reference that the service writing it checks in a statement it runs
    anyway (a lock of the row, in the write's transaction, answering 400 on
    the field when there is no such row): DRF's field would read the row
    first, one statement more on a hot write. Refuses what DRF's refuses
    before its read (a boolean, text that is not a number, a key out of the
    column's range). The object answered has only its key; any other field
    is read when first used, as with ``.only("pk")``.
    """

    def to_internal_value(self, data):
        model = self.get_queryset().model
        key = model._meta.pk
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = key.to_python(data)
        except (DjangoValidationError, OverflowError):  # 1e999 is inf
            self.fail("incorrect_type", data_type=type(data).__name__)
        lowest, highest = connection.ops.integer_field_range(key.get_internal_type())
        if not lowest <= pk <= highest:
            self.fail("does_not_exist", pk_value=data)
        return model.from_db(self.get_queryset().db, [key.attname], [pk])
