from rest_framework import serializers

from .models import Employee


class EmployeeSerializer(serializers.ModelSerializer):
    username = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The linked login account (linked in the admin), or null.",
    )

    class Meta:
        model = Employee
        fields = ["id", "name", "position", "is_active", "username"]
