"""Token login for API clients, throttled per username and address."""

import hashlib

from drf_spectacular.utils import extend_schema, inline_serializer
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.settings import api_settings

from store_project.api.serializers import StrictCharField
from store_project.api.throttling import SharedRateThrottle


class LoginRateThrottle(SharedRateThrottle):
    """Failed or not, login attempts count per (username, client address).

    Across every instance when Redis is the cache (SharedRateThrottle).

    Keyed by username as well as address so that every till behind one shop
    router is not locked out together by one mistyped password.
    """

    scope = "login"

    def get_cache_key(self, request, view):
        username = ""
        if isinstance(request.data, dict):
            username = str(request.data.get("username", ""))[:150].lower()
        # Hashed: a username may hold spaces or control characters, which are
        # not valid in a cache key (memcached refuses them).
        digest = hashlib.sha256(username.encode(errors="surrogatepass")).hexdigest()
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{digest}",
        }


# Wrong credentials: 400 with this code (AuthTokenSerializer.validate).
@extend_validation_errors(["authorization"], field_name="non_field_errors")
class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = [LoginRateThrottle]
    # ObtainAuthToken's own parsers are not the documented (JSON) ones, so the
    # schema showed no request body; the strict parser also refuses NUL.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": StrictCharField(),
                "password": StrictCharField(trim_whitespace=False),
            },
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()})
        },
        auth=[],
        summary="Log in: get an API token",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
