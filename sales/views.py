from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory.selectors import location_scope, scoped
from store_project.api.exports import CHUNK, CSVListMixin, chunked
from store_project.api.idempotency import idempotent
from store_project.api.viewsets import ServiceModelViewSet, page_size_errors

from . import services
from .filters import OrderFilter, ReturnFilter
from .models import Order, Return, ReturnLine
from .returns import return_create
from .serializers import (
    LINE,
    ORDER,
    OrderSerializer,
    OrderStatusChangeSerializer,
    OrderWriteSerializer,
    ReturnSerializer,
    ReturnWriteSerializer,
    order_rows,
)

_WRITE = {"request": OrderWriteSerializer}


@extend_schema_view(
    create=extend_schema(**_WRITE, responses={201: OrderSerializer}),
    update=extend_schema(**_WRITE, responses={200: OrderSerializer}),
    partial_update=extend_schema(**_WRITE, responses={200: OrderSerializer}),
)
# Refusals that the serializer's fields cannot tell the schema about.
@extend_validation_errors(
    ["does_not_exist", "duplicate_product"],
    field_name="lines.INDEX.product",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["inactive_product", "max_value", "null"],
    field_name="lines",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["anonymized_client"],
    field_name="client",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["null"], field_name="lines.INDEX", actions=["create", "update", "partial_update"]
)
@extend_validation_errors(
    ["inactive_location", "out_of_scope"],
    field_name="location",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["max_length"],
    field_name="lines.non_field_errors",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["discount_above_subtotal", "invalid"],
    field_name="discount",
    actions=["create", "update", "partial_update"],
)
@extend_validation_errors(
    ["out_of_range"],
    field_name="discount.value",
    actions=["create", "update", "partial_update"],
)
# The return's lines as the service judges them against the order.
@extend_validation_errors(
    [
        # the list's own, which naming this field replaces in the schema
        "required",
        "null",
        "not_a_list",
        "empty",
        "min_length",
        "max_length",
        # the service's judgement of each line
        "not_on_order",
        "duplicate_product",
        "min_value",
        "invalid_choice",
    ],
    field_name="lines",
    actions=["returns"],
)
class OrderViewSet(CSVListMixin, ServiceModelViewSet):
    filterset_class = OrderFilter
    search_fields = ["notes", "client__name", "client__email"]
    ordering_fields = ["created_at", "total_amount"]
    action_permissions = {
        **{name: [t.permission] for name, t in services.TRANSITIONS.items()},
        "history": ["sales.view_order"],
        "returns": ["sales.add_return"],
    }
    conflict_actions = ("update", "partial_update", *services.TRANSITIONS, "returns")

    def get_queryset(self):
        # OrderSerializer reads the lines of one order or a page of orders in
        # one query of plain rows; nothing to prefetch here.
        return scoped(Order.objects.all(), self.request.user)

    def list_statement_key(self):
        scope = location_scope(self.request.user)
        return "every location" if scope is None else scope

    representation = ORDER
    csv_filename = "orders"

    def represent_rows(self, rows):
        return order_rows(rows)

    # As CSV an order is one row per line: the order's fields (its discount
    # in three columns), then the line's; an order without lines, one row.
    _CSV_ORDER = [name for name in ORDER.flat_fields if name != "discount"]
    _CSV_DISCOUNT = ["discount_kind", "discount_value", "discount_reason"]
    _CSV_LINE = [f"line_{name}" for name in LINE.flat_fields]

    def csv_header(self):
        return [*self._CSV_ORDER, *self._CSV_DISCOUNT, *self._CSV_LINE]

    def csv_rows(self, queryset):
        # The orders through a server-side cursor, their lines one query per
        # block of orders (order_rows): one block in memory at a time.
        rows = queryset.values_list(*ORDER.columns).iterator(CHUNK)
        for chunk in chunked(rows):
            for order in order_rows(chunk):
                head = [order[name] for name in self._CSV_ORDER]
                discount = order["discount"] or {}
                head += [discount.get(k) for k in ("kind", "value", "reason")]
                for line in order["lines"] or [{}]:
                    yield head + [line.get(name) for name in LINE.flat_fields]

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"}:
            return OrderWriteSerializer
        return OrderSerializer

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "employee" not in data:
            data["employee"] = getattr(request.user, "employee", None)
        if data.get("location") is None:
            data["location"] = services.order_default_location(user=request.user)
        order = services.order_create(**data, within=location_scope(request.user))
        return Response(self._read(order), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        order = self.get_object()
        serializer = self.get_serializer(order, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        order = services.order_update(
            order=order,
            **serializer.validated_data,
            within=location_scope(request.user),
        )
        return Response(self._read(order))

    def delete_object(self, instance):
        services.order_delete(order=instance, within=location_scope(self.request.user))

    def _read(self, order: Order) -> dict:
        # The services return the order as written, every field set (status,
        # stamps, total); only its lines are read back (one query).
        return OrderSerializer(order).data

    def _transition(self, name: str) -> Response:
        # Not through get_object(): the transition's own row lock carries the
        # user's location scope, so an order out of scope (or none) is a 404
        # as get_object() would answer, in the one statement that locks it.
        # (No object permissions apply to orders.)
        try:
            order_id = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            order = services.order_transition(
                order_id=order_id,
                action=name,
                by=self.request.user,
                within=location_scope(self.request.user),
            )
        except (ValueError, Order.DoesNotExist):
            raise Http404 from None
        return Response(self._read(order))

    _ACTION_SCHEMA = {
        "request": None,
        "responses": {200: OrderSerializer},
    }
    # An action names one order: the list's filters, search and ordering do
    # not apply to it (a stray ?status=... must not make a confirm a 404).
    _ACTION = {"detail": True, "methods": ["post"], "filter_backends": []}

    @extend_schema(**_ACTION_SCHEMA, summary="Confirm a draft: takes the stock")
    @action(**_ACTION)
    @idempotent
    def confirm(self, request, pk=None):
        return self._transition("confirm")

    @extend_schema(**_ACTION_SCHEMA, summary="Ship a confirmed order")
    @action(**_ACTION)
    @idempotent
    def ship(self, request, pk=None):
        return self._transition("ship")

    @extend_schema(**_ACTION_SCHEMA, summary="Mark a shipped order delivered")
    @action(**_ACTION)
    @idempotent
    def deliver(self, request, pk=None):
        return self._transition("deliver")

    @extend_schema(
        **_ACTION_SCHEMA,
        summary="Cancel a draft or confirmed order; a confirmed one gives stock back",
    )
    @action(**_ACTION)
    @idempotent
    def cancel(self, request, pk=None):
        return self._transition("cancel")

    @extend_schema(
        responses={200: OpenApiResponse(OrderStatusChangeSerializer(many=True))},
        summary="The order's status changes, oldest first",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        order = self.get_object()
        changes = order.history.select_related("changed_by")
        return Response(OrderStatusChangeSerializer(changes, many=True).data)

    @extend_schema(
        request=ReturnWriteSerializer,
        responses={201: ReturnSerializer},
        summary="Record a return of a shipped or delivered order",
        description="Each line's refund is its share of what the client paid for "
        "the order line: quantity / ordered x (net_amount + tax_amount), half-up "
        "to cents; the return that completes a line refunds exactly what is left "
        "of it. Restocked units go back into stock at the order's location. An "
        "order that is not shipped or delivered, or more than can still be "
        "returned of a line: 409, nothing written.",
    )
    @action(**_ACTION, url_path="returns")
    @idempotent
    def returns(self, request, pk=None):
        serializer = ReturnWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # As for the transitions: the order's row lock carries the scope.
        try:
            order_id = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            created = return_create(
                order_id=order_id,
                **serializer.validated_data,
                by=request.user,
                within=location_scope(request.user),
            )
        except (ValueError, Order.DoesNotExist):
            raise Http404 from None
        answer = ReturnSerializer(_returns().get(pk=created.pk)).data
        return Response(answer, status=status.HTTP_201_CREATED)


def _returns():
    return Return.objects.select_related("created_by").prefetch_related(
        Prefetch("lines", ReturnLine.objects.select_related("product"))
    )


@page_size_errors
class ReturnViewSet(viewsets.ReadOnlyModelViewSet):
    """Returns of the orders of the locations the user sees; written through
    ``POST /orders/{id}/returns/``."""

    serializer_class = ReturnSerializer
    filterset_class = ReturnFilter
    search_fields = ["note"]
    ordering_fields = ["created_at", "refund_amount"]

    def get_queryset(self):
        return scoped(_returns(), self.request.user)
