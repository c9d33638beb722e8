"""The back-office's admin site: Django's, with the dashboard on its index."""

from django.contrib import admin
from django.utils import timezone

from audit.links import admin_url_of
from audit.models import AuditEntry
from inventory.selectors import low_stock_levels
from sales import selectors
from store_project.db.replica import on_replica


class StoreAdminSite(admin.AdminSite):
    site_header = "Store back-office"
    site_title = "Store back-office"
    index_title = "Dashboard"
    index_template = "reports/dashboard.html"

    def index(self, request, extra_context=None):
        """The app list, under the figures the user's roles allow.

        Sales money needs ``sales.view_reports`` (managers), order counts
        ``sales.view_order``, low stock ``catalog.view_product``.
        """
        user = request.user
        parts = {
            "sales": user.has_perm("sales.view_reports"),
            "orders": user.has_perm("sales.view_order"),
            "stock": user.has_perm("catalog.view_product"),
        }
        # Figures a few seconds old are fine here: the read replica's, if any.
        dashboard = on_replica(
            lambda: selectors.dashboard(today=timezone.localdate(), **parts)
        )
        levels, level_count = (
            on_replica(lambda: low_stock_levels(user=user))
            if user.has_perm("inventory.view_stocklevel")
            else ([], 0)
        )
        return super().index(
            request,
            extra_context={
                "dashboard": dashboard,
                "low_stock_levels": levels,
                "low_stock_level_count": level_count,
                "recent_entries": self.recent_entries(user),
                **(extra_context or {}),
            },
        )

    def recent_entries(self, user, limit: int = 10) -> list[dict]:
        """The user's latest audit entries, for the "Recent actions" panel."""
        entries = AuditEntry.objects.filter(actor=user.get_username())[:limit]
        return [
            {
                "entry": entry,
                "url": None
                if entry.action == "delete"
                else admin_url_of(self, entry.object_type, entry.object_id),
            }
            for entry in entries
        ]
