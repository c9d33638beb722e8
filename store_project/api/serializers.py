"""Serializer pieces shared by the apps."""

from rest_framework import serializers


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


_BASE_MAPPING = serializers.ModelSerializer.serializer_field_mapping
_STRICT = {
    serializers.CharField: StrictCharField,
    serializers.EmailField: StrictEmailField,
}


class ModelSerializer(serializers.ModelSerializer):
    """The project's ModelSerializer: text fields accept only JSON strings."""

    serializer_field_mapping = {
        model_field: _STRICT.get(field, field)
        for model_field, field in _BASE_MAPPING.items()
    }
