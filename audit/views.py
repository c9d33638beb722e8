from rest_framework import viewsets

from store_project.api.viewsets import page_size_errors

from .filters import AuditEntryFilter
from .models import AuditEntry
from .serializers import AuditEntrySerializer


@page_size_errors
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed what, newest first (managers only)."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["at", "id"]
    search_fields: list[str] = []
