from store_project.api.serializers import ModelSerializer

from .models import Client


class ClientSerializer(ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "email", "phone", "address", "created_at"]
