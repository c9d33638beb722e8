import django_filters

from store_project.api.filters import StrictBooleanFilter

from .models import Supplier, TaxClass


class TaxClassFilter(django_filters.FilterSet):
    is_default = StrictBooleanFilter()

    class Meta:
        model = TaxClass
        fields = ["is_default"]


class SupplierFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = Supplier
        fields = ["is_active"]
