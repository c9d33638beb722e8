"""The base of every app's model admins: writes through the services.

Every write the back-office makes goes through the same services as the API
(``ServiceModelAdmin``), so a business rule cannot be bypassed from the admin,
and a refusal is shown on the form instead of a 500 page. Every app's admin
imports this module, so it imports no domain app (the audit log, which
imports none either, aside); the site itself, with its dashboard, is
``reports.sites.StoreAdminSite``.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from audit.models import ObjectType
from store_project.exceptions import ApplicationError


class _RefusedForm:
    """Mixed into a model form: shows a service's refusal as validation errors."""

    refusal: ApplicationError

    def clean(self):
        cleaned_data = super().clean()
        field = self.refusal.field if self.refusal.field in self.fields else None
        for _code, message in self.refusal.errors:
            self.add_error(field, message)
        return cleaned_data


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes go through the app's services.

    Subclasses call a service from ``save_model`` / ``save_related`` /
    ``delete_model``. When the service refuses (an ``ApplicationError``), the
    admin's own transaction has already rolled everything back; the form is
    then shown again, bound to what was sent, with the refusal as its error.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as refusal:
            if request.method != "POST" or hasattr(request, "_service_refusal"):
                raise
            request._service_refusal = refusal
        return self.refused_changeform_view(request, object_id, form_url, extra_context)

    def refused_changeform_view(self, request, object_id, form_url, extra_context):
        """Show the form again; its validation now reports the refusal."""
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form
        return type(form)(
            form.__name__,
            (_RefusedForm, form),
            {"refusal": refusal, "__module__": form.__module__},
        )

    def history_view(self, request, object_id, extra_context=None):
        """An audited object's history is its audit log, for those who may read it."""
        if (
            object_id.isdigit()
            and self.opts.model_name in ObjectType.values
            and request.user.has_perm("audit.view_auditentry")
        ):
            url = reverse(
                "admin:audit_auditentry_changelist", current_app=self.admin_site.name
            )
            return HttpResponseRedirect(
                f"{url}?object_type={self.opts.model_name}&object_id={object_id}"
            )
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as refusal:
            self.message_refusal(request, refusal)
            return HttpResponseRedirect(
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )

    def delete_queryset(self, request, queryset):
        """Delete each object through ``delete_model``: all of them, or none."""
        try:
            with transaction.atomic():
                for obj in queryset:
                    self.delete_model(request, obj)
        except ApplicationError as refusal:
            self.message_refusal(request, refusal)

    def message_refusal(self, request, refusal: ApplicationError, prefix: str = ""):
        for _code, message in refusal.errors:
            self.message_user(request, f"{prefix}{message}", messages.ERROR)

    @staticmethod
    def adopt(instance, saved) -> None:
        """Make the form's instance the row a service saved (for the redirect)."""
        instance.pk = saved.pk
        instance.refresh_from_db()
        instance._state.adding = False
