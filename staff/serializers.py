from rest_framework import serializers

from store_project.api.serializers import ModelSerializer

from .models import Employee


class EmployeeSerializer(ModelSerializer):
    username = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        help_text="The linked login account (linked in the admin), or null.",
    )

    class Meta:
        model = Employee
        fields = ["id", "name", "position", "is_active", "username"]
