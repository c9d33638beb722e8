from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory.selectors import location_scope, scoped
from inventory.services import location_default
from store_project.api.idempotency import idempotent
from store_project.api.viewsets import ServiceModelViewSet
from store_project.exceptions import InvalidInput

from . import selectors, services
from .filters import PurchaseOrderFilter
from .models import PurchaseOrder, PurchaseOrderLine
from .serializers import (
    PurchaseOrderReceiveSerializer,
    PurchaseOrderSerializer,
    PurchaseOrderWriteSerializer,
    ReorderCreatedSerializer,
    ReorderQuerySerializer,
    ReorderSuggestionsSerializer,
)

_WRITE = {"request": PurchaseOrderWriteSerializer}
_EDITS = ["create", "update", "partial_update"]


@extend_schema_view(
    create=extend_schema(**_WRITE, responses={201: PurchaseOrderSerializer}),
    update=extend_schema(**_WRITE, responses={200: PurchaseOrderSerializer}),
    partial_update=extend_schema(**_WRITE, responses={200: PurchaseOrderSerializer}),
)
# Refused by the service, from the database's state: not introspectable.
@extend_validation_errors(
    ["inactive_location", "out_of_scope"],
    field_name="location",
    actions=[*_EDITS, "order"],
)
@extend_validation_errors(
    ["inactive_supplier"], field_name="supplier", actions=[*_EDITS, "order"]
)
@extend_validation_errors(
    ["duplicate_product", "null"], field_name="lines", actions=_EDITS
)
@extend_validation_errors(
    ["not_on_purchase_order", "duplicate_product", "empty_receipt"],
    field_name="lines",
    actions=["receive"],
)
class PurchaseOrderViewSet(ServiceModelViewSet):
    """Goods ordered from a supplier and received, in parts, at a location."""

    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilter
    search_fields = ["notes", "supplier__name"]
    ordering_fields = ["created_at", "expected_at"]
    action_permissions = {
        name: [t.permission] for name, t in services.TRANSITIONS.items()
    }
    conflict_actions = ("update", "partial_update", *services.TRANSITIONS)

    def get_queryset(self):
        lines = PurchaseOrderLine.objects.select_related("product").order_by("id")
        purchase_orders = PurchaseOrder.objects.prefetch_related(
            Prefetch("lines", lines)
        )
        return scoped(purchase_orders, self.request.user)

    def get_serializer_class(self):
        if self.action in _EDITS:
            return PurchaseOrderWriteSerializer
        return PurchaseOrderSerializer

    def _read(self, purchase_order) -> dict:
        return PurchaseOrderSerializer(
            self.get_queryset().get(pk=purchase_order.pk)
        ).data

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purchase_order = services.purchase_order_create(
            **serializer.validated_data,
            by=request.user,
            within=location_scope(request.user),
        )
        return Response(self._read(purchase_order), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        purchase_order = self.get_object()
        serializer = self.get_serializer(
            purchase_order, data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "location" in data and data["location"] is None:
            data["location"] = location_default()
        purchase_order = services.purchase_order_update(
            purchase_order=purchase_order,
            **data,
            within=location_scope(request.user),
        )
        return Response(self._read(purchase_order))

    def delete_object(self, instance):
        services.purchase_order_delete(
            purchase_order=instance, within=location_scope(self.request.user)
        )

    def _transition(self, name: str, received=None) -> Response:
        # As for orders: the transition's row lock carries the user's scope,
        # so one at another location is a 404 there.
        try:
            purchase_order_id = int(
                self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            )
            purchase_order = services.purchase_order_transition(
                purchase_order_id=purchase_order_id,
                action=name,
                by=self.request.user,
                within=location_scope(self.request.user),
                received=received,
            )
        except (ValueError, PurchaseOrder.DoesNotExist):
            raise Http404 from None
        return Response(self._read(purchase_order))

    _ACTION = {"detail": True, "methods": ["post"], "filter_backends": []}
    _SCHEMA = {"request": None, "responses": {200: PurchaseOrderSerializer}}

    @extend_schema(**_SCHEMA, summary="Send a draft to its supplier")
    @action(**_ACTION)
    @idempotent
    def order(self, request, pk=None):
        return self._transition("order")

    @extend_schema(
        request=PurchaseOrderReceiveSerializer,
        responses={200: PurchaseOrderSerializer},
        summary="Receive goods at the purchase order's location, at its costs",
        description="The lines that arrived; without lines, everything still "
        "awaited. More than a line awaits answers 409 and changes nothing.",
    )
    @action(**_ACTION)
    @idempotent
    def receive(self, request, pk=None):
        serializer = PurchaseOrderReceiveSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        return self._transition("receive", serializer.validated_data.get("lines"))

    @extend_schema(**_SCHEMA, summary="Stop waiting for the rest of a partial receipt")
    @action(**_ACTION)
    @idempotent
    def close(self, request, pk=None):
        return self._transition("close")

    @extend_schema(**_SCHEMA, summary="Cancel a draft or ordered purchase order")
    @action(**_ACTION)
    @idempotent
    def cancel(self, request, pk=None):
        return self._transition("cancel")


@extend_validation_errors(
    ["inactive_location", "out_of_scope"],
    field_name="location",
    actions=["create_purchase_orders"],
)
# The list reads its query through ReorderQuerySerializer, which the schema
# cannot see on a GET.
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "out_of_scope"],
    field_name="location",
    actions=["list"],
)
@extend_validation_errors(
    ["invalid", "max_string_length", "max_value", "min_value"],
    field_name="cover_days",
    actions=["list"],
)
class ReorderSuggestionViewSet(viewsets.ViewSet):
    """What to order for a location, and the drafts that order it."""

    # Reading needs the right to read purchase orders, creating the drafts
    # the right to create them (RolePermission reads the model's).
    queryset = PurchaseOrder.objects.none()
    action_permissions = {
        "list": ["purchasing.view_purchaseorder"],
        "create_purchase_orders": ["purchasing.add_purchaseorder"],
    }

    def _location(self, data):
        serializer = ReorderQuerySerializer(data=data)
        serializer.is_valid(raise_exception=True)
        location = serializer.validated_data.get("location") or location_default()
        within = location_scope(self.request.user)
        if within is not None and location.pk not in within:
            raise InvalidInput(
                f"Location {location.code} is not one of yours.",
                code="out_of_scope",
                field="location",
            )
        return location, serializer.validated_data["cover_days"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "location", int, description="The default location when omitted."
            ),
            OpenApiParameter(
                "cover_days",
                {"type": "integer", "minimum": 0, "maximum": 365, "default": 14},
                description="Days of sales to cover beyond the lead time.",
            ),
        ],
        responses={200: ReorderSuggestionsSerializer},
        summary="Reorder suggestions for a location",
    )
    def list(self, request):
        location, cover_days = self._location(request.query_params)
        suggestions = selectors.reorder_suggestions(
            location=location, cover_days=cover_days
        )
        # Written out rather than through ReorderSuggestionsSerializer (the
        # schema's): a location's list can hold every product, and DRF's
        # per-field walk over a few thousand rows was most of the answer's
        # time. The same fields, the same text.
        results = [
            {
                "product": s.product,
                "sku": s.sku,
                "name": s.name,
                "supplier": s.supplier,
                "on_hand": s.on_hand,
                "incoming": s.incoming,
                "reorder_level": s.reorder_level,
                "daily_sales": f"{s.daily_sales:f}",
                "suggested_quantity": s.suggested_quantity,
            }
            for s in suggestions
        ]
        return Response(
            {"location": location.pk, "cover_days": cover_days, "results": results}
        )

    @extend_schema(
        request=ReorderQuerySerializer,
        responses={200: ReorderCreatedSerializer, 201: ReorderCreatedSerializer},
        summary="Turn the suggestions into one draft purchase order per supplier",
        description="Each line at the product's last purchase cost; products "
        "without a supplier or never purchased are skipped. 201 with the "
        "drafts' ids, 200 when there is nothing to order. The drafts count "
        "as incoming, so a second run creates nothing.",
    )
    @action(detail=False, methods=["post"], url_path="create-purchase-orders")
    @idempotent
    def create_purchase_orders(self, request):
        location, cover_days = self._location(request.data)
        created, skipped = services.purchase_orders_from_suggestions(
            location=location,
            cover_days=cover_days,
            by=request.user,
            within=location_scope(request.user),
        )
        body = {"purchase_orders": [po.pk for po in created], "skipped": skipped}
        return Response(
            body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
