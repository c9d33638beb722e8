import django_filters

from store_project.api.filters import StrictIntegerFilter

from .models import PurchaseOrder


class PurchaseOrderFilter(django_filters.FilterSet):
    supplier = StrictIntegerFilter(field_name="supplier_id")
    location = StrictIntegerFilter(field_name="location_id")
    status = django_filters.ChoiceFilter(choices=PurchaseOrder.Status.choices)

    class Meta:
        model = PurchaseOrder
        fields = ["supplier", "location", "status"]
