import django_filters

from store_project.api.filters import StrictBooleanFilter

from .models import Employee


class EmployeeFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = Employee
        fields = ["is_active"]
