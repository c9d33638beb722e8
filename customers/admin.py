"""Back-office for clients; writes go through ``customers.services``."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from store_project.admin import ServiceModelAdmin

from . import services
from .models import Client


@admin.register(Client)
class ClientAdmin(ServiceModelAdmin):
    list_display = ("name", "email", "phone", "created_at")
    search_fields = ("name", "email", "phone")
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = (*services.CLIENT_EDITABLE_FIELDS, "orders", "created_at", "updated_at")
    readonly_fields = ("orders", "created_at", "updated_at")

    @admin.display(description="orders")
    def orders(self, client: Client):
        if client.pk is None:
            return "-"
        # By URL name only: customers does not import the sales app.
        url = reverse("admin:sales_order_changelist")
        return format_html(
            '<a href="{}?client__id__exact={}">This client\'s orders</a>',
            url,
            client.pk,
        )

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in services.CLIENT_EDITABLE_FIELDS
        }
        if change:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            services.client_update(client=obj, **changed)
        else:
            self.adopt(obj, services.client_create(**data))

    def delete_model(self, request, obj):
        services.client_delete(client=obj)
