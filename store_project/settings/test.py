"""Test settings: the first PostgreSQL server there is.

``DATABASE_URL`` wins; else the local server at 127.0.0.1:5432 (user
``postgres``) when it answers; else the embedded server ``make run`` uses.
"""

import os

import psycopg

from store_project.db import embedded

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-any-deployment-0123456789"
ALLOWED_HOSTS = ["*"]
LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/store"


def _reachable(url: str) -> bool:
    config = env.db_url_config(url)
    try:
        psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=2,
        ).close()
    except psycopg.Error:
        return False
    return True


_url = env("DATABASE_URL", default="")
if not _url:
    if _reachable(LOCAL_POSTGRES_URL):
        _url = LOCAL_POSTGRES_URL
    else:
        _url = embedded.database_url(EMBEDDED_POSTGRES_DIR)
DATABASES = {"default": database_config(_url)}
DATABASES["default"].pop("CONN_HEALTH_CHECKS", None)
DATABASES["default"]["CONN_MAX_AGE"] = 0
# One test database per run, so that runs side by side on one server (two
# developers' terminals, a benchmark) cannot drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_store_{os.getpid()}"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"login": "1000/min", "user": None}
LOGGING = logging_config("text", "WARNING")
DOCS_ENABLED = True
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=True)
