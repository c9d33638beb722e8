"""Local development: DEBUG on; the embedded PostgreSQL server unless
DATABASE_URL names another one."""

from store_project.db import embedded

from .base import *

DEBUG = True
SECRET_KEY = env("SECRET_KEY", default=SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
DATABASES = with_replica(
    {
        "default": database_config(
            env("DATABASE_URL", default="")
            or embedded.database_url(EMBEDDED_POSTGRES_DIR)
        )
    }
)
if env("REDIS_URL", default=""):
    CACHES = cache_config(env("REDIS_URL"))
FIELD_ENCRYPTION_KEYS = encryption_keys(
    "FIELD_ENCRYPTION_KEYS",
    env("FIELD_ENCRYPTION_KEYS", default="") or DEV_FIELD_ENCRYPTION_KEY,
)
DOCS_ENABLED = env.bool("DOCS_ENABLED", default=True)
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=True)
