from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from store_project.api.idempotency import idempotent
from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .filters import WebhookFilter
from .models import Delivery, DeliveryStatus, Webhook
from .serializers import DeliverySerializer, WebhookCreatedSerializer, WebhookSerializer


# WebhookURLField refuses a non-string with DRF's "invalid", which the
# schema's generator does not see beside the validator's "invalid_url"; the
# service refuses a private URL with "private_url".
@extend_validation_errors(
    ["invalid", "private_url"],
    field_name="url",
    actions=["create", "update", "partial_update"],
)
# The delivery log's own filter, and its pages as the lists' (page_size).
@extend_validation_errors(
    ["invalid_choice"], field_name="status", actions=["deliveries"]
)
@extend_validation_errors(["invalid"], field_name="page_size", actions=["deliveries"])
class WebhookViewSet(ServiceModelViewSet):
    """Webhook subscriptions (managers): what is sent where, and what was sent."""

    serializer_class = WebhookSerializer
    search_fields = ["url"]
    ordering_fields = ["created_at", "url"]
    filterset_class = WebhookFilter
    action_permissions = {
        "deliveries": ["integrations.view_webhook", "integrations.view_delivery"],
        "redeliver": ["integrations.view_webhook", "integrations.redeliver_delivery"],
    }

    def get_queryset(self):
        return Webhook.objects.order_by("id")

    def create_object(self, data):
        return services.webhook_create(**data)

    def update_object(self, instance, data):
        return services.webhook_update(webhook=instance, **data)

    def delete_object(self, instance):
        services.webhook_delete(webhook=instance)

    @extend_schema(responses={201: WebhookCreatedSerializer})
    @idempotent  # a retry after a lost answer gets the same webhook and secret
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = self.create_object(serializer.validated_data)
        return Response(
            WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={200: DeliverySerializer(many=True)},
        parameters=[
            OpenApiParameter("status", enum=DeliveryStatus.values, required=False)
        ],
        summary="The webhook's deliveries, newest first",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        deliveries = webhook.deliveries.select_related("event").order_by("-event_id")
        # Empty is no filter, as on every other list (django-filter's way).
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise serializers.ValidationError(
                    {"status": [f"Choose from {', '.join(DeliveryStatus.values)}."]},
                    code="invalid_choice",
                )
            deliveries = deliveries.filter(status=wanted)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        summary="Queue a delivery again, now",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/redeliver",
        filter_backends=[],
    )
    @idempotent
    def redeliver(self, request, pk=None, delivery_id=None):
        webhook = self.get_object()
        delivery = get_object_or_404(Delivery, pk=delivery_id, webhook=webhook)
        try:
            delivery = services.delivery_redeliver(delivery=delivery)
        except Delivery.DoesNotExist:  # purged or deleted since
            raise Http404 from None
        delivery = Delivery.objects.select_related("event").get(pk=delivery.pk)
        return Response(
            DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
