from rest_framework import serializers

from store_project.api.serializers import ModelSerializer

from .models import Client


class ClientSerializer(ModelSerializer):
    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "address",
            "created_at",
            "anonymized_at",
        ]
        read_only_fields = ["anonymized_at"]


class ClientExportSerializer(ModelSerializer):
    """Every field the store holds about the client (the phone's digest is
    derived from the phone, which is given)."""

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "address",
            "created_at",
            "updated_at",
            "anonymized_at",
        ]
        read_only_fields = fields


class ClientExportAnswerSerializer(serializers.Serializer):
    """What ``customers.services.client_export`` answers, as JSON."""

    client = ClientExportSerializer(read_only=True)
    orders = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The client's orders with their lines, as GET /orders/{id}/.",
    )
    returns = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The returns of the client's orders.",
    )
    exported_at = serializers.DateTimeField(read_only=True)
