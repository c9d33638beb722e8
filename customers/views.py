from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .models import Client
from .serializers import ClientSerializer


# Raised by the service from the database's unique index, so not introspectable.
@extend_validation_errors(
    ["unique"], field_name="email", actions=["create", "update", "partial_update"]
)
class ClientViewSet(ServiceModelViewSet):
    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    search_fields = ["name", "email", "phone"]
    ordering_fields = ["name", "email", "created_at"]
    filterset_fields: list[str] = []

    def create_object(self, data):
        return services.client_create(**data)

    def update_object(self, instance, data):
        return services.client_update(client=instance, **data)

    def delete_object(self, instance):
        services.client_delete(client=instance)
