"""Back-office for webhooks and their deliveries; writes go through the services."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from store_project.admin import ServiceModelAdmin
from store_project.exceptions import ApplicationError

from . import services
from .models import Delivery, EventType, Webhook


class WebhookForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    # Never shown: the field is empty on every page, and left empty it keeps
    # the secret (or, on a new webhook, has one generated and shown once).
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        min_length=16,
        max_length=255,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the secret (a new webhook gets a "
        "generated one, shown once after saving).",
    )

    class Meta:
        model = Webhook
        fields = ("url", "events", "is_active")


@admin.register(Webhook)
class WebhookAdmin(ServiceModelAdmin):
    form = WebhookForm
    list_display = ("url", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url",)
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="events")
    def event_list(self, webhook: Webhook) -> str:
        return ", ".join(webhook.events)

    def save_model(self, request, obj, form, change):
        data = {
            "url": form.cleaned_data["url"],
            "events": form.cleaned_data["events"],
            "is_active": form.cleaned_data["is_active"],
            "secret": form.cleaned_data.get("new_secret") or None,
        }
        if change:
            services.webhook_update(webhook=obj, **data)
            return
        saved = services.webhook_create(**data)
        self.adopt(obj, saved)
        if not data["secret"]:
            self.message_user(
                request,
                f"The webhook's signing secret, shown this once: {saved.secret}",
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        services.webhook_delete(webhook=obj)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "webhook",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event__type", "webhook")
    list_select_related = ("webhook", "event")
    search_fields = ("=event__id", "object_key")
    actions = ("redeliver",)
    list_per_page = 50
    readonly_fields = [
        field.name for field in Delivery._meta.fields if field.name != "event"
    ] + ["event_type", "payload"]
    exclude = ("event",)

    @admin.display(description="event", ordering="event__type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    @admin.display(description="body data")
    def payload(self, delivery: Delivery) -> str:
        return delivery.event.data

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("integrations.redeliver_delivery")

    @admin.action(description="Redeliver", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        try:
            with transaction.atomic():
                count = 0
                for delivery in queryset.order_by("pk"):
                    services.delivery_redeliver(delivery=delivery)
                    count += 1
        except ApplicationError as refusal:
            for _code, message in refusal.errors:
                self.message_user(request, message, messages.ERROR)
            return
        self.message_user(request, f"{count} deliveries queued again.")
