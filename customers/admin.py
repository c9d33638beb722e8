"""Back-office for clients; writes go through ``customers.services``."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminTextInputWidget
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from store_project.admin import CsvImportAdminMixin, ServiceModelAdmin
from store_project.api.renderers import JSONRenderer
from store_project.exceptions import ApplicationError

from . import imports, services
from .models import Client
from .selectors import client_search
from .serializers import ClientExportAnswerSerializer


class AnonymizedFilter(admin.SimpleListFilter):
    title = "anonymized"
    parameter_name = "anonymized"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(anonymized_at__isnull=self.value() == "no")
        return queryset


@admin.register(Client)
class ClientAdmin(CsvImportAdminMixin, ServiceModelAdmin):
    import_service = staticmethod(imports.clients_import)
    import_permissions = imports.PERMISSIONS
    import_columns = imports.COLUMNS
    list_display = ("name", "email", "phone", "created_at", "anonymized")
    list_filter = (AnonymizedFilter,)
    # Names and e-mails by part, a phone whole (see get_search_results).
    search_fields = ("name", "email", "phone")
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = (
        *services.CLIENT_EDITABLE_FIELDS,
        "orders",
        "created_at",
        "updated_at",
        "anonymized_at",
    )
    readonly_fields = ("orders", "created_at", "updated_at", "anonymized_at")
    change_form_template = "admin/customers/client/change_form.html"
    actions = ("anonymize_clients",)

    @admin.display(description="anonymized", boolean=True, ordering="anonymized_at")
    def anonymized(self, client: Client) -> bool:
        return client.is_anonymized

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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "phone":  # a text column (encrypted), one line
            kwargs["widget"] = AdminTextInputWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # The phone is encrypted: the admin's icontains would search ciphertext.
        return client_search(queryset, search_term.split()), False

    def has_change_permission(self, request, obj=None):
        # An anonymized client is shown, not edited (the service refuses too).
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not obj.is_anonymized)

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

    # --- Privacy: export and anonymize, managers only ---------------------------

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("customers.export_client")

    def has_anonymize_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("customers.anonymize_client")

    @admin.action(description="Anonymize selected clients", permissions=["anonymize"])
    def anonymize_clients(self, request, queryset):
        """Asks first (like Django's delete action), then anonymizes each client
        in its own transaction, reporting each refusal."""
        clients = list(queryset.order_by("pk"))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "clients": clients,
                "action": "anonymize_clients",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": "Anonymize these clients?",
            }
            return TemplateResponse(
                request, "admin/customers/client/anonymize_selected.html", context
            )
        done = []
        for client in clients:
            try:
                services.client_anonymize(client_id=client.pk, by=request.user)
            except ApplicationError as refusal:
                self.message_refusal(request, refusal)
            else:
                done.append(client.pk)
        if done:
            numbers = ", ".join(f"#{pk}" for pk in done)
            self.message_user(
                request,
                f"{len(done)} client{'s' if len(done) > 1 else ''} anonymized: "
                f"{numbers}.",
                messages.SUCCESS,
            )
        return None

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/export/",
                view(self.export_view),
                name="customers_client_export",
            ),
            path(
                "<path:object_id>/anonymize/",
                view(self.anonymize_view),
                name="customers_client_anonymize",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {
            "can_export": self.has_export_permission(request),
            "can_anonymize": self.has_anonymize_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def _change_url(self, client: Client) -> str:
        return reverse(
            "admin:customers_client_change",
            args=[client.pk],
            current_app=self.admin_site.name,
        )

    def export_view(self, request, object_id):
        """The same JSON as ``GET /api/v1/clients/{id}/export/``, downloaded."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        client = self.get_object(request, unquote(object_id))
        if client is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        answer = services.client_export(client=client, by=request.user)
        body = JSONRenderer().render(ClientExportAnswerSerializer(answer).data)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = (
            f'attachment; filename="client-{client.pk}-export.json"'
        )
        return response

    def anonymize_view(self, request, object_id):
        """A confirmation page; its POST anonymizes through the service."""
        if not self.has_anonymize_permission(request):
            raise PermissionDenied
        client = self.get_object(request, unquote(object_id))
        if client is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method == "POST":
            try:
                services.client_anonymize(client_id=client.pk, by=request.user)
            except ApplicationError as refusal:
                self.message_refusal(request, refusal)
            else:
                self.message_user(
                    request, f"Client #{client.pk} anonymized.", messages.SUCCESS
                )
            return HttpResponseRedirect(self._change_url(client))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": client,
            "change_url": self._change_url(client),
            "title": "Anonymize this client?",
        }
        return TemplateResponse(
            request, "admin/customers/client/anonymize.html", context
        )
