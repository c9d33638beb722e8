"""The back-office's admin site: Django's, with the dashboard on its index."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.links import admin_url_of
from audit.models import AuditEntry
from inventory.models import Location
from inventory.selectors import low_stock_levels
from store_project.db.replica import on_replica

from . import charts, selectors


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
            lambda: selectors.dashboard(today=selectors.store_today(), **parts)
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

    def get_urls(self):
        return [
            path("reports/", self.admin_view(self.reports_view), name="reports"),
            *super().get_urls(),
        ]

    def reports_view(self, request):
        """Sales by period and by category, with charts, and the stock's value.

        For managers (the reports' permission); the CSV links are the API's
        reports with the same query, which the admin's session may read.
        """
        from .views import REPORTS_PERMISSION, SalesQuerySerializer

        if not request.user.has_perm(REPORTS_PERMISSION):
            raise PermissionDenied
        query = SalesQuerySerializer(
            data={k: v for k, v in request.GET.items() if v != ""}
        )
        errors = []
        if not query.is_valid():
            # Said on the page, which shows the default range instead.
            errors = _messages(query.errors)
            query = SalesQuerySerializer(data={})
            query.is_valid(raise_exception=True)
        data = query.validated_data
        group_by = data["group_by"] if data["group_by"] in selectors.PERIODS else "day"
        sales = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "location_id": data.get("location"),
        }

        def read():
            return (
                selectors.sales_report(**sales, group_by=group_by),
                selectors.sales_report(**sales, group_by="category"),
                selectors.inventory_report(location_id=data.get("location")),
            )

        by_period, by_category, inventory = on_replica(read)
        query_string = {
            "date_from": data["date_from"].isoformat(),
            "date_to": data["date_to"].isoformat(),
            **({"location": data["location"]} if data.get("location") else {}),
        }

        def csv_url(name: str, **extra) -> str:
            params = {**extra, "format": "csv"}
            return f"{reverse(name)}?{urlencode(params)}"

        context = {
            **self.each_context(request),
            "title": "Reports",
            "currency": settings.STORE_CURRENCY,
            "errors": errors,
            "query": query_string,
            "group_by": group_by,
            "periods": selectors.PERIODS,
            "locations": Location.objects.order_by("code"),
            "location_id": data.get("location"),
            "by_period": by_period,
            "by_category": by_category,
            "inventory": inventory,
            "period_chart": charts.bar_chart(
                [(row.key, row.total) for row in by_period.rows],
                title=f"Sales by {group_by}",
            ),
            "category_chart": charts.horizontal_bars(
                [(row.label, row.total) for row in by_category.rows],
                title="Sales by category",
            ),
            "csv": {
                "period": csv_url(
                    "v1:report-sales-list", **query_string, group_by=group_by
                ),
                "category": csv_url(
                    "v1:report-sales-list", **query_string, group_by="category"
                ),
                "inventory": csv_url(
                    "v1:report-inventory-list",
                    **({"location": data["location"]} if data.get("location") else {}),
                ),
            },
        }
        return TemplateResponse(request, "reports/reports.html", context)

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


def _messages(errors: dict) -> list[str]:
    return [
        f"{field}: {message}"
        for field, messages in errors.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]
