from django.core.validators import URLValidator
from rest_framework import serializers

from store_project.api.serializers import (
    ModelSerializer,
    StrictBooleanField,
    StrictCharField,
)

from .models import Delivery, EventType, Webhook

_SECRET_HELP = (
    "Write-only: signs every delivery (X-Store-Signature). Generated when "
    "omitted, and then shown once, in the answer to the create."
)


class WebhookURLField(serializers.URLField):
    """An http or https URL, refused with its own code, ``invalid_url``.

    The schema's ``format: uri`` admits URLs a webhook cannot be sent to
    (another scheme, a host name beyond DNS's limits), so a client learns
    of those from this refusal.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, URLValidator)
        ] + [
            URLValidator(
                schemes=["http", "https"],
                message="Enter a valid http or https URL.",
                code="invalid_url",
            )
        ]


class WebhookSerializer(ModelSerializer):
    url = WebhookURLField(
        max_length=2000,
        help_text="http or https; one that resolves to a loopback, private or "
        "link-local address is refused unless WEBHOOK_ALLOW_PRIVATE_URLS=true.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        min_length=1,
        max_length=len(EventType.values),
    )
    secret = StrictCharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=255,
        help_text=_SECRET_HELP,
    )
    is_active = StrictBooleanField(required=False, default=True)

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    """The create's answer: the only one that shows the secret."""

    secret = serializers.CharField(read_only=True, help_text=_SECRET_HELP)


class DeliverySerializer(ModelSerializer):
    event_id = serializers.IntegerField(read_only=True)
    event = serializers.ChoiceField(
        source="event.type", choices=EventType.choices, read_only=True
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields
