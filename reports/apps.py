from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        # The reports put themselves on the API's router: nothing else
        # imports this app (store_project's URLs included).
        from store_project.api.router import router

        from .views import InventoryReportViewSet, SalesReportViewSet

        router.register("reports/sales", SalesReportViewSet, basename="report-sales")
        router.register(
            "reports/inventory", InventoryReportViewSet, basename="report-inventory"
        )


class StoreAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our site as ``admin.site``.

    Installed in place of ``"django.contrib.admin"``, so every app's
    ``admin.site.register`` / ``@admin.register`` lands on ``StoreAdminSite``
    without importing this app.
    """

    # "reports" in INSTALLED_APPS must resolve to ReportsConfig, and Django
    # picks an app's config among every AppConfig subclass in its apps.py,
    # imported ones too: hence default = False here, and the admin's apps
    # module imported rather than its AdminConfig class.
    default = False
    default_site = "reports.sites.StoreAdminSite"
