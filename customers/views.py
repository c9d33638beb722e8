from django.http import Http404
from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from store_project.api.exports import CSVListMixin
from store_project.api.filters import FilterBackend
from store_project.api.idempotency import idempotent
from store_project.api.imports import (
    IMPORT_PARSERS,
    ImportResultSerializer,
    dry_run_of,
    import_schema,
    uploaded_csv,
)
from store_project.api.viewsets import ServiceModelViewSet

from . import imports, services
from .filters import ClientSearchFilter
from .models import Client
from .serializers import ClientExportAnswerSerializer, ClientSerializer


# Raised by the service from the database's unique index, so not introspectable.
@extend_validation_errors(
    ["unique"], field_name="email", actions=["create", "update", "partial_update"]
)
class ClientViewSet(CSVListMixin, ServiceModelViewSet):
    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    filter_backends = [FilterBackend, ClientSearchFilter, OrderingFilter]
    # Names and e-mails by part; a phone only whole (ClientSearchFilter).
    search_fields = ["name", "email", "phone"]
    ordering_fields = ["name", "email", "created_at"]
    csv_filename = "clients"
    filterset_fields: list[str] = []
    # An update of an anonymized client, an anonymization refused: 409.
    conflict_actions = ("update", "partial_update", "anonymize")
    action_permissions = {
        "export": ["customers.export_client"],
        "anonymize": ["customers.anonymize_client"],
        "import_csv": imports.PERMISSIONS,
    }

    def create_object(self, data):
        return services.client_create(**data)

    def update_object(self, instance, data):
        return services.client_update(client=instance, **data)

    def delete_object(self, instance):
        services.client_delete(client=instance)

    @extend_schema(
        responses={200: ClientExportAnswerSerializer},
        summary="Everything the store holds about the client (right of access)",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def export(self, request, pk=None):
        answer = services.client_export(client=self.get_object(), by=request.user)
        return Response(ClientExportAnswerSerializer(answer).data)

    @extend_schema(
        request=None,
        responses={200: ClientSerializer},
        summary="Erase the client's personal data; orders keep their amounts",
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def anonymize(self, request, pk=None):
        client_id = self.get_object().pk
        try:
            client = services.client_anonymize(client_id=client_id, by=request.user)
        except Client.DoesNotExist:  # deleted since get_object()
            raise Http404 from None
        return Response(ClientSerializer(client).data)

    @import_schema("clients", "email", "email (ignoring case), name, phone, address")
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=IMPORT_PARSERS,
        filter_backends=[],
        pagination_class=None,
    )
    @idempotent
    def import_csv(self, request):
        result = imports.clients_import(
            data=uploaded_csv(request), dry_run=dry_run_of(request), by=request.user
        )
        return Response(ImportResultSerializer(result).data)
