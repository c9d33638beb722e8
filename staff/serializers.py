from collections.abc import Mapping

from rest_framework import serializers

from inventory.models import Location
from store_project.api.serializers import ModelSerializer

from .models import Employee


class _IdListField(serializers.ManyRelatedField):
    """A list of ids; DRF's own takes any iterable, an object ({}) included."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class EmployeeSerializer(ModelSerializer):
    username = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        help_text="The linked login account (linked in the admin), or null.",
    )
    locations = _IdListField(
        child_relation=serializers.PrimaryKeyRelatedField(
            queryset=Location.objects.all()
        ),
        required=False,
        help_text="Where the employee works (location ids).",
    )
    home_location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        allow_null=True,
        required=False,
        help_text="One of locations, or null.",
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "username",
            "locations",
            "home_location",
        ]
