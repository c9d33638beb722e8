"""The audit log in the back-office: read-only for everyone, superusers too."""

import json

from django.contrib import admin
from django.utils.html import format_html

from .links import admin_url_of
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object", "summary")
    list_filter = ("action", "object_type")
    search_fields = ("=actor", "=request_id")
    fields = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "changes_json",
        "request_id",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def lookup_allowed(self, lookup, value, request=None):
        # The object pages' "History" link filters on these.
        return lookup in {"object_type", "object_id"} or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description="object")
    def object(self, entry: AuditEntry):
        url = admin_url_of(self.admin_site, entry.object_type, entry.object_id)
        if url is None or entry.action == "delete":
            return f"#{entry.object_id}"
        return format_html('<a href="{}">#{}</a>', url, entry.object_id)

    @admin.display(description="changes")
    def summary(self, entry: AuditEntry) -> str:
        return ", ".join(entry.changes) or "—"

    @admin.display(description="changes")
    def changes_json(self, entry: AuditEntry):
        return format_html(
            "<pre>{}</pre>", json.dumps(entry.changes, indent=2, ensure_ascii=False)
        )
