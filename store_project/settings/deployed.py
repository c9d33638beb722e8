"""What staging and prod share: required secrets, HTTPS behind a load balancer."""

from .base import *

DEBUG = False
SECRET_KEY = require("SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in require("ALLOWED_HOSTS").split(",") if h.strip()]
DATABASES = with_replica({"default": database_config(require("DATABASE_URL"))})
# Several instances behind the load balancer: throttles must count in one place.
CACHES = cache_config(require("REDIS_URL"))
FIELD_ENCRYPTION_KEYS = encryption_keys(
    "FIELD_ENCRYPTION_KEYS", require("FIELD_ENCRYPTION_KEYS")
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The load balancer terminates TLS and tells us so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health checks from the load balancer and the container come over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health(/db)?$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOG_FORMAT = "json"
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
