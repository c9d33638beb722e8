import django_filters

from store_project.api.filters import StrictIntegerFilter, UtcDateTimeFilter

from .models import AuditEntry, ObjectType


class AuditEntryFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(choices=ObjectType.choices)
    object_id = StrictIntegerFilter()
    actor = django_filters.CharFilter(max_length=150, help_text="A username.")
    action = django_filters.CharFilter(max_length=30)
    created_after = UtcDateTimeFilter(field_name="at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="at", lookup_expr="lte")

    class Meta:
        model = AuditEntry
        fields = [
            "object_type",
            "object_id",
            "actor",
            "action",
            "created_after",
            "created_before",
        ]
