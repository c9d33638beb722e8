"""Routes of ``/api/v1/``: every app's viewsets on one router."""

from django.urls import path

from audit.views import AuditEntryViewSet
from catalog.views import CategoryViewSet, SupplierViewSet, TaxClassViewSet
from customers.views import ClientViewSet
from integrations.views import WebhookViewSet
from inventory.views import (
    LocationViewSet,
    ProductViewSet,
    StockLevelViewSet,
    StockMovementViewSet,
    TransferViewSet,
)
from purchasing.views import PurchaseOrderViewSet, ReorderSuggestionViewSet
from sales.views import OrderViewSet, ReturnViewSet
from staff.auth import TokenView
from staff.views import EmployeeViewSet
from store_project.api.router import router

# A path is matched against each resource's prefix in this order: the
# resources a till calls on every sale come first.
router.register("orders", OrderViewSet, basename="order")
router.register("products", ProductViewSet, basename="product")
router.register("categories", CategoryViewSet, basename="category")
router.register("tax-classes", TaxClassViewSet, basename="taxclass")
router.register("stock-movements", StockMovementViewSet, basename="stockmovement")
router.register("locations", LocationViewSet, basename="location")
router.register("stock-levels", StockLevelViewSet, basename="stocklevel")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("purchase-orders", PurchaseOrderViewSet, basename="purchaseorder")
router.register(
    "reorder-suggestions", ReorderSuggestionViewSet, basename="reordersuggestion"
)
router.register("clients", ClientViewSet, basename="client")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("returns", ReturnViewSet, basename="return")
router.register("audit-log", AuditEntryViewSet, basename="auditentry")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    *router.urls,
]
