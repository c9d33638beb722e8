from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .filters import EmployeeFilter
from .models import Employee
from .serializers import EmployeeSerializer


@extend_validation_errors(
    ["not_in_locations"],
    field_name="home_location",
    actions=["create", "update", "partial_update"],
)
class EmployeeViewSet(ServiceModelViewSet):
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["name", "position", "user__username"]
    ordering_fields = ["name", "position"]

    def get_queryset(self):
        return Employee.objects.select_related("user").prefetch_related("locations")

    def create_object(self, data):
        return services.employee_create(**data)

    def update_object(self, instance, data):
        return services.employee_update(employee=instance, **data)

    def delete_object(self, instance):
        services.employee_delete(employee=instance)
