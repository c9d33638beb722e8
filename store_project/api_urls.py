"""Routes of ``/api/v1/``: every app's viewsets on one router."""

from store_project.api.router import router

urlpatterns = router.urls
