"""The one router behind ``/api/v1/``; apps register their viewsets here."""

from django.urls import include, re_path
from rest_framework.routers import DefaultRouter, SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns


class Router(DefaultRouter):
    include_root_view = False

    def get_urls(self):
        """Each resource's routes in one include under its prefix.

        A path is matched against the resources' prefixes, then against the
        routes of its own resource only: a flat list made Django try every
        route of every resource registered before it (seventy-odd patterns
        for an order's action).
        """
        urls = []
        for prefix, viewset, basename in self.registry:
            routes = SimpleRouter(trailing_slash=bool(self.trailing_slash))
            routes.register("", viewset, basename=basename)
            own = routes.urls
            if self.include_format_suffixes:
                own = format_suffix_patterns(own)
            urls.append(re_path(f"^{prefix}/", include(own)))
        return urls


router = Router()
