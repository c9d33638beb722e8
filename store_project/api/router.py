"""The one router behind ``/api/v1/``; apps register their viewsets here."""

from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    include_root_view = False


router = Router()
