"""The base of every app's model admins: writes through the services.

Every write the back-office makes goes through the same services as the API
(``ServiceModelAdmin``), so a business rule cannot be bypassed from the admin,
and a refusal is shown on the form instead of a 500 page. Every app's admin
imports this module, so it imports no domain app (the audit log, which
imports none either, aside); the site itself, with its dashboard, is
``reports.sites.StoreAdminSite``.
"""

import base64
import binascii
from collections.abc import Callable, Sequence

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.models import ObjectType
from store_project.csv_import import ImportResult
from store_project.exceptions import ApplicationError, RowsRefused


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


class CsvImportForm(forms.Form):
    """The file to check; after its dry run, the same file (``content``)
    comes back with the confirmation, so what is imported is what was shown."""

    file = forms.FileField(
        required=False, help_text="CSV, UTF-8, a header row naming the columns."
    )
    content = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned_data = super().clean()
        upload, content = cleaned_data.get("file"), cleaned_data.get("content")
        if upload is not None:
            cleaned_data["data"] = upload.read()
        elif content:
            try:
                cleaned_data["data"] = base64.b64decode(content, validate=True)
            except binascii.Error:
                raise forms.ValidationError("Choose the file again.") from None
        else:
            raise forms.ValidationError("Choose a CSV file to import.")
        return cleaned_data


class CsvImportAdminMixin:
    """An "Import CSV" page on a model admin's changelist, through the same
    import service as the API: a dry run shows the counts and every problem,
    then a confirmation imports the file that was checked.

    Subclasses set ``import_service`` (``staticmethod(fn)``, ``fn(*, data,
    dry_run, by)``),
    ``import_permissions`` and ``import_columns``.
    """

    import_service: Callable[..., ImportResult]
    import_permissions: Sequence[str]
    import_columns: Sequence[str]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perms(self.import_permissions)

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {
            "can_import": self.has_import_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        opts = self.opts
        changelist = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_changelist",
            current_app=self.admin_site.name,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"Import {opts.verbose_name_plural}",
            "columns": self.import_columns,
            "changelist_url": changelist,
        }
        form = CsvImportForm()
        if request.method == "POST":
            form = CsvImportForm(request.POST, request.FILES)
            confirmed = "_import" in request.POST
            if form.is_valid():
                data = form.cleaned_data["data"]
                try:
                    result = self.import_service(
                        data=data, dry_run=not confirmed, by=request.user
                    )
                except RowsRefused as refusal:
                    context["problems"] = refusal.problems
                except ApplicationError as refusal:
                    context["problems"] = [
                        (refusal.field or "file", code, message)
                        for code, message in refusal.errors
                    ]
                else:
                    if confirmed:
                        self.message_user(
                            request,
                            f"Imported: {result.created} created, {result.updated} "
                            f"updated, {result.unchanged} unchanged.",
                            messages.SUCCESS,
                        )
                        return HttpResponseRedirect(changelist)
                    context["result"] = result
                    form = CsvImportForm(
                        initial={"content": base64.b64encode(data).decode("ascii")}
                    )
        context["form"] = form
        return TemplateResponse(request, "admin/csv_import.html", context)
