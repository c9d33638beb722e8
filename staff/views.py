from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .filters import EmployeeFilter
from .models import Employee
from .serializers import EmployeeSerializer


class EmployeeViewSet(ServiceModelViewSet):
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["name", "position", "user__username"]
    ordering_fields = ["name", "position"]

    def get_queryset(self):
        return Employee.objects.select_related("user")

    def create_object(self, data):
        return services.employee_create(**data)

    def update_object(self, instance, data):
        return services.employee_update(employee=instance, **data)

    def delete_object(self, instance):
        services.employee_delete(employee=instance)
