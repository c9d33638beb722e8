from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from store_project.api.idempotency import idempotent
from store_project.api.viewsets import ServiceModelViewSet

from . import services
from .models import Delivery, DeliveryStatus, Webhook
from .serializers import DeliverySerializer, WebhookCreatedSerializer, WebhookSerializer


class WebhookViewSet(ServiceModelViewSet):
    """Webhook subscriptions (managers): what is sent where, and what was sent."""

    serializer_class = WebhookSerializer
    search_fields = ["url"]
    ordering_fields = ["created_at", "url"]
    filterset_fields = ["is_active"]
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
        deliveries = webhook.deliveries.select_related("event").order_by("-id")
        wanted = request.query_params.get("status")
        if wanted is not None:
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
        delivery = services.delivery_redeliver(delivery=delivery)
        delivery = Delivery.objects.select_related("event").get(pk=delivery.pk)
        return Response(
            DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
