"""A ModelViewSet whose writes go through the app's services."""

from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import viewsets

from .representation import Representation

# StandardPagination refuses a bad page_size with this code.
page_size_errors = extend_validation_errors(
    ["invalid"], field_name="page_size", actions=["list"]
)


@page_size_errors
class ServiceModelViewSet(viewsets.ModelViewSet):
    """CRUD where create, update and delete call service functions.

    Subclasses implement ``create_object(data)``, ``update_object(instance,
    data)`` and ``delete_object(instance)``. The written object is read back
    through ``get_queryset()`` so annotations and related names are present.
    """

    #: Hot lists read their page as plain rows of the representation's
    #: columns, which it writes out: no model instance per row (building them
    #: was a third of a page's CPU). None: DRF's list, through the serializer.
    representation: Representation | None = None

    def represent_rows(self, rows: list[tuple]) -> list[dict]:
        return self.representation.write(rows)

    def list(self, request, *args, **kwargs):
        if self.representation is None:
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        columns = self.representation.columns
        page = self.paginate_queryset(queryset.values_list(*columns))
        return self.get_paginated_response(self.represent_rows(page))

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, instance, data: dict):
        raise NotImplementedError

    def delete_object(self, instance) -> None:
        raise NotImplementedError

    def perform_create(self, serializer):
        obj = self.create_object(serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=obj.pk)

    def perform_update(self, serializer):
        obj = self.update_object(serializer.instance, serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=obj.pk)

    def perform_destroy(self, instance):
        self.delete_object(instance)
