import django_filters

from .models import Employee


class EmployeeFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Employee
        fields = ["is_active"]
