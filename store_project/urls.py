from django.contrib import admin
from django.urls import include, path, re_path

from . import views
from .api_urls import urlpatterns as api_v1

urlpatterns = [
    path("health", views.health, name="health"),
    path("health/db", views.health_db, name="health-db"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", views.schema_view, name="schema"),
    path("docs", views.swagger_view, name="swagger-ui"),
    path("redoc", views.redoc_view, name="redoc"),
    path("admin/", admin.site.urls),
    # Unknown API paths answer the JSON 404 even with DEBUG on.
    re_path(r"^api/", views.not_found),
]

handler400 = "store_project.views.bad_request"
handler403 = "store_project.views.permission_denied"
handler404 = "store_project.views.not_found"
handler500 = "store_project.views.server_error"
