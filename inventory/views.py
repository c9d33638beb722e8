from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog import services as catalog_services
from store_project.api.exports import CSVListMixin
from store_project.api.idempotency import idempotent
from store_project.api.imports import (
    IMPORT_PARSERS,
    ImportResultSerializer,
    dry_run_of,
    import_schema,
    uploaded_csv,
)
from store_project.api.viewsets import ServiceModelViewSet, page_size_errors

from . import imports, services
from .filters import (
    LocationFilter,
    ProductFilter,
    StockLevelFilter,
    StockMovementFilter,
    TransferFilter,
)
from .models import Location, StockLevel, StockMovement, Transfer, TransferLine
from .selectors import location_scope, products_with_stock, scoped
from .serializers import (
    PRODUCT,
    LocationSerializer,
    ProductSerializer,
    StockAdjustmentSerializer,
    StockLevelSerializer,
    StockMovementSerializer,
    TransferReceiveSerializer,
    TransferSerializer,
    TransferWriteSerializer,
)


# The product resource is the catalog's product with its stock over every
# location: it is assembled here, where both are known (the catalog knows
# nothing of stock, which depends on it).
@extend_validation_errors(
    ["unique"], field_name="sku", actions=["create", "update", "partial_update"]
)
@extend_validation_errors(
    ["inactive_location", "out_of_scope"],
    field_name="location",
    actions=["adjust_stock"],
)
# TotalStockField checks its bound itself (see inventory.serializers).
@extend_validation_errors(
    ["max_value"], field_name="stock", actions=["create", "update", "partial_update"]
)
class ProductViewSet(CSVListMixin, ServiceModelViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["name", "unit_price", "stock", "created_at"]
    action_permissions = {
        "adjust_stock": ["catalog.adjust_stock"],
        "import_csv": imports.PERMISSIONS,
    }
    conflict_actions = ("adjust_stock",)
    representation = PRODUCT
    csv_filename = "products"

    def get_queryset(self):
        return products_with_stock().select_related("category")

    def list_statement_key(self):
        return "every user"  # the same products for everyone

    def create_object(self, data):
        return services.product_create(**data, by=self.request.user)

    def update_object(self, instance, data):
        data = {k: v for k, v in data.items() if k != "stock"}
        return catalog_services.product_update(product=instance, **data)

    def delete_object(self, instance):
        catalog_services.product_delete(product=instance)

    @extend_schema(
        request=StockAdjustmentSerializer,
        responses={200: ProductSerializer},
        summary="Adjust a product's stock at a location",
        description="Adds (or, when negative, removes) units at the location "
        "(the default one unless given) and writes the stock movement. A result "
        "below zero there answers 409 and changes nothing.",
    )
    @action(detail=True, methods=["post"], url_path="adjust-stock")
    @idempotent
    def adjust_stock(self, request, pk=None):
        product = self.get_object()
        serializer = StockAdjustmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.stock_adjust(
            product=product,
            **serializer.validated_data,
            by=request.user,
            within=location_scope(request.user),
        )
        return Response(ProductSerializer(self.get_queryset().get(pk=product.pk)).data)

    @import_schema(
        "products",
        "sku",
        "sku, name, description, unit_price, category (a name; created if "
        "missing), reorder_level, is_active, tax_class (a name), supplier (a "
        "name), stock (the "
        "opening stock of a new product at the default location; ignored for "
        "an existing one)",
    )
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
        result = imports.products_import(
            data=uploaded_csv(request), dry_run=dry_run_of(request), by=request.user
        )
        return Response(ImportResultSerializer(result).data)


@page_size_errors
class StockMovementViewSet(CSVListMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    search_fields = ["note"]
    ordering_fields = ["created_at", "quantity"]
    csv_filename = "stock-movements"

    def get_queryset(self):
        movements = StockMovement.objects.select_related("created_by")
        return scoped(movements, self.request.user)


@extend_validation_errors(
    ["unique"],
    field_name="code",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["default_inactive"],
    field_name="is_active",
    actions=["update", "partial_update"],
)
@extend_validation_errors(
    ["default_inactive", "default_required"],
    field_name="is_default",
    actions=["create", "update", "partial_update"],
)
class LocationViewSet(ServiceModelViewSet):
    """Stores and warehouses; shared by every user, written by managers."""

    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    search_fields = ["code", "name", "address"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return Location.objects.all()

    def create_object(self, data):
        return services.location_create(**data)

    def update_object(self, instance, data):
        return services.location_update(location=instance, **data)

    def delete_object(self, instance):
        services.location_delete(location=instance)


@page_size_errors
class StockLevelViewSet(
    CSVListMixin, viewsets.mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """What each location holds of each product. Only the reorder level is
    writable (PATCH); on-hand quantities move with the stock ledger."""

    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    search_fields = ["product__name", "product__sku"]
    ordering_fields = ["on_hand"]
    csv_filename = "stock-levels"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        levels = StockLevel.objects.select_related("product")
        return scoped(levels, self.request.user)

    def perform_update(self, serializer):
        level = services.stock_level_update(
            stock_level=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=level.pk)


_TRANSFER_WRITE = {"request": TransferWriteSerializer}


@extend_schema_view(
    create=extend_schema(**_TRANSFER_WRITE, responses={201: TransferSerializer}),
    update=extend_schema(**_TRANSFER_WRITE, responses={200: TransferSerializer}),
    partial_update=extend_schema(
        **_TRANSFER_WRITE, responses={200: TransferSerializer}
    ),
)
@extend_validation_errors(
    ["inactive_location", "out_of_scope"],
    field_name="from_location",
    actions=["create", "update", "partial_update", "ship", "cancel"],
)
@extend_validation_errors(
    ["inactive_location", "same_location", "out_of_scope"],
    field_name="to_location",
    actions=["create", "update", "partial_update", "receive"],
)
@extend_validation_errors(
    ["inactive_product", "duplicate_product"],
    field_name="lines",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["not_on_transfer", "more_than_shipped", "duplicate_product"],
    field_name="lines",
    actions=["receive"],
)
class TransferViewSet(ServiceModelViewSet):
    """Stock sent from one location to another: draft, in transit, received."""

    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    search_fields = ["notes"]
    ordering_fields = ["created_at"]
    action_permissions = {
        name: [t.permission] for name, t in services.TRANSFER_TRANSITIONS.items()
    }
    conflict_actions = ("update", "partial_update", *services.TRANSFER_TRANSITIONS)

    def get_queryset(self):
        transfers = Transfer.objects.select_related("created_by").prefetch_related(
            Prefetch("lines", TransferLine.objects.select_related("product"))
        )
        return scoped(transfers, self.request.user, "from_location", "to_location")

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"}:
            return TransferWriteSerializer
        return TransferSerializer

    def _read(self, transfer) -> dict:
        return TransferSerializer(self.get_queryset().get(pk=transfer.pk)).data

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        transfer = services.transfer_create(
            **serializer.validated_data,
            by=request.user,
            within=location_scope(request.user),
        )
        return Response(self._read(transfer), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        transfer = self.get_object()
        serializer = self.get_serializer(transfer, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        transfer = services.transfer_update(
            transfer=transfer,
            **serializer.validated_data,
            within=location_scope(request.user),
        )
        return Response(self._read(transfer))

    def delete_object(self, instance):
        services.transfer_delete(
            transfer=instance, within=location_scope(self.request.user)
        )

    def _transition(self, name: str, received=None) -> Response:
        # As for orders: the transition's row lock carries the scope, so a
        # transfer at neither of the user's locations is a 404 there.
        try:
            transfer_id = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            transfer = services.transfer_transition(
                transfer_id=transfer_id,
                action=name,
                by=self.request.user,
                within=location_scope(self.request.user),
                received=received,
            )
        except (ValueError, Transfer.DoesNotExist):
            raise Http404 from None
        return Response(self._read(transfer))

    _ACTION = {"detail": True, "methods": ["post"], "filter_backends": []}

    @extend_schema(
        request=None,
        responses={200: TransferSerializer},
        summary="Ship a draft: takes its lines out of the origin",
    )
    @action(**_ACTION)
    @idempotent
    def ship(self, request, pk=None):
        return self._transition("ship")

    @extend_schema(
        request=TransferReceiveSerializer,
        responses={200: TransferSerializer},
        summary="Receive an in-transit transfer at its destination",
        description="The lines that arrived; a line left out received 0. "
        "Without lines, everything shipped arrived.",
    )
    @action(**_ACTION)
    @idempotent
    def receive(self, request, pk=None):
        serializer = TransferReceiveSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        return self._transition("receive", serializer.validated_data.get("lines"))

    @extend_schema(
        request=None,
        responses={200: TransferSerializer},
        summary="Cancel a draft or in-transit transfer; its units go back",
    )
    @action(**_ACTION)
    @idempotent
    def cancel(self, request, pk=None):
        return self._transition("cancel")
