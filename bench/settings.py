"""The reference view's own tiny settings: one database, no apps, no middleware.

The database is configured by the project's ``database_config`` from the same
``DATABASE_URL`` and ``DB_*`` variables as the store, so the reference and the
store talk to PostgreSQL the same way (pool or persistent connections).
"""

import os

from store_project.settings.base import database_config

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-reference-only-not-a-secret")
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.reference"
DATABASES = {"default": database_config(os.environ["DATABASE_URL"])}
USE_TZ = True
TIME_ZONE = "UTC"
LOGGING_CONFIG = None
