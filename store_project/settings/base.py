"""Settings shared by every environment; the environment modules adjust them."""

import base64
import os
import sys
from pathlib import Path

import environ

import store_project

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env file is read when present; real environments set variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env("DJANGO_ENV", default="dev")
APP_VERSION = env("APP_VERSION", default=store_project.__version__)


def require(name: str) -> str:
    """Return a required variable, or stop start-up with one line naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        sys.exit(
            f"Missing required environment variable {name} "
            f"(DJANGO_ENV={DJANGO_ENV}); set it and start again."
        )
    return value


DEBUG = False
SECRET_KEY = "insecure-dev-only-key-never-used-outside-dev"


def encryption_keys(name: str, raw: str) -> list[str]:
    """Parse a comma-separated list of Fernet keys, or stop start-up naming it.

    A Fernet key is 32 random bytes in URL-safe base64 (what
    ``Fernet.generate_key()`` prints); anything else would only fail later,
    on the first client read or written.
    """
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        sys.exit(f"{name} holds no key (DJANGO_ENV={DJANGO_ENV}).")
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeError):
            valid = False
        if not valid:
            sys.exit(
                f"{name}: key {position} of {len(keys)} is not a Fernet key "
                "(32 random bytes in URL-safe base64); fix it and start again."
            )
    return keys


# Encrypts clients' phones and addresses in dev and tests only; a deployed
# environment must set its own (store_project.settings.deployed).
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHkta2V5LW5ldmVyLWZvci1yZWFsLWRhdGE="
FIELD_ENCRYPTION_KEYS = [DEV_FIELD_ENCRYPTION_KEY]
# Clients with no open order and no order (or creation) for this many days
# are anonymized by `manage.py enforce_retention`.
CLIENT_RETENTION_DAYS = env.int("CLIENT_RETENTION_DAYS", default=1095)
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    # django.contrib.admin, with reports' site (and its dashboard) as admin.site.
    "reports.apps.StoreAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and ReDoc as static files of the store (see SPECTACULAR_SETTINGS).
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "store_project",
    "catalog",
    "inventory",
    "customers",
    "staff",
    "sales",
    "purchasing",
    "integrations",
    "reports",
    "audit",
]

MIDDLEWARE = [
    "store_project.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "store_project.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "store_project.middleware.RejectNulInQueryMiddleware",
]

ROOT_URLCONF = "store_project.urls"
WSGI_APPLICATION = "store_project.wsgi.application"
ASGI_APPLICATION = "store_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------


def database_config(url: str) -> dict:
    """Turn a ``DATABASE_URL`` into Django's settings, with our connection rules.

    PostgreSQL is the store's only database. Each connection gets a connect
    timeout (so ``/health/db`` answers within 3 s when the server is
    unreachable), a statement timeout, and either Django's built-in psycopg
    pool (``DB_POOL=true``, sized by ``DB_POOL_MIN_SIZE`` /
    ``DB_POOL_MAX_SIZE``) or persistent connections (``DB_CONN_MAX_AGE``).
    """
    config = env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("DATABASE_URL must name a PostgreSQL database (postgres://...).")
    options = config.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", 2))
    # Session defaults: a statement may run 30 s; a lock is waited for 5 s
    # (DB_LOCK_TIMEOUT_MS), then the request fails fast with a 503
    # (store_project.db.errors.row_lock_timeout) instead of hanging.
    # JIT off: it compiles any statement whose estimated cost is high, and a
    # report whose days the planner cannot count (a generate_series) was
    # estimated a thousand times too dear and spent a second compiling a
    # query that runs in milliseconds. The store's statements are short.
    statement_timeout = env.int("DB_STATEMENT_TIMEOUT_MS", 30_000)
    lock_timeout = env.int("DB_LOCK_TIMEOUT_MS", 5000)
    options.setdefault(
        "options",
        f"-c statement_timeout={statement_timeout} -c lock_timeout={lock_timeout} "
        "-c jit=off",
    )
    # Server-side parameters, and statements run 5 times on a connection
    # become prepared statements: PostgreSQL stops re-planning them (the
    # token lookup's plan cost more than running it). Turn off with
    # DB_PREPARED_STATEMENTS=false behind a transaction-mode pooler
    # (PgBouncer, RDS Proxy), which cannot keep them.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    if env.bool("DB_POOL", default=False):
        options["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", 2),
            "max_size": env.int("DB_POOL_MAX_SIZE", 10),
            "timeout": env.float("DB_POOL_TIMEOUT", 2.0),
        }
        config["CONN_MAX_AGE"] = 0
    else:
        config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


# --- Cache ------------------------------------------------------------------

# Without REDIS_URL (dev, tests) each process has its own memory cache.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def cache_config(url: str) -> dict:
    """Django's built-in Redis cache at ``REDIS_URL``, shared by every instance.

    It holds only what may be lost (throttle counts): a flush or a restart of
    Redis loses no data. Each connect and each command waits at most
    ``REDIS_TIMEOUT`` seconds, and redis-py retries nothing, so an unreachable
    or hung Redis costs a request a fraction of a second, never a hang; the
    throttles then count in the process (store_project.api.throttling).
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        sys.exit("REDIS_URL must name a Redis server (redis://... or rediss://...).")
    timeout = env.float("REDIS_TIMEOUT", 0.25)
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "store",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


# The reports read from DATABASE_REPLICA_URL when it is set (store_project.db.replica).
DATABASE_ROUTERS = ["store_project.db.replica.ReplicaRouter"]


def with_replica(databases: dict) -> dict:
    """``databases`` and, with ``DATABASE_REPLICA_URL`` set, its ``replica``."""
    url = env("DATABASE_REPLICA_URL", default="")
    if url:
        databases["replica"] = database_config(url)
        # A test run has one database: the replica alias is the same one.
        databases["replica"]["TEST"] = {"MIRROR": "default"}
    return databases


# Where ``make run`` (and tests with no server to reach) keep the embedded
# PostgreSQL server's data; see store_project.db.embedded.
EMBEDDED_POSTGRES_DIR = BASE_DIR / ".pgdata"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

STORE_CURRENCY = env("STORE_CURRENCY", default="CAD")
# The shop's own time zone: the reports count a sale on its local date there,
# whatever TIME_ZONE the servers run in.
STORE_TIME_ZONE = env("STORE_TIME_ZONE", default="America/Toronto")

# Webhooks (integrations): private, loopback and link-local URLs are refused
# unless allowed (dev and test settings allow them); the worker's knobs.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=10)
WEBHOOK_POLL_SECONDS = env.float("WEBHOOK_POLL_SECONDS", default=1.0)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=10.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
# How often a worker purges those (0: never; purge_webhook_events by hand).
WEBHOOK_PURGE_INTERVAL_SECONDS = env.float(
    "WEBHOOK_PURGE_INTERVAL_SECONDS", default=3600.0
)
# A file the worker touches on every turn of its loop, for a health check.
WEBHOOK_HEARTBEAT_FILE = env("WEBHOOK_HEARTBEAT_FILE", default="")

# --- API --------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes anonymous calls 401.
        "staff.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["store_project.api.permissions.RolePermission"],
    "DEFAULT_RENDERER_CLASSES": [
        "store_project.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "store_project.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # ?format=csv where a view offers it; an unknown ?format= is a 400.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "store_project.api.exports.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "store_project.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "store_project.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "store_project.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["store_project.api.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        "user": env("THROTTLE_USER", default="6000/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "store_project.api.errors.StoreExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "409",
        "415",
        "422",
        "429",
        "500",
        "503",
    ],
    "ERROR_SCHEMAS": {
        code: f"store_project.api.schema.ErrorResponse{code}Serializer"
        for code in (409, 422, 503)
    },
}

DOCS_ENABLED = True
SPECTACULAR_SETTINGS = {
    "TITLE": "Store Management API",
    "DESCRIPTION": (
        "Back-office API of the store: catalog, stock ledger, clients, staff and "
        "orders. Every error answers in one JSON shape "
        "(`type`, `errors[code, detail, attr]`)."
    ),
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The docs' scripts come from the store's own static files, at the version
    # pinned in requirements.txt: /docs works on a shop network with no
    # internet, and no third-party script runs beside the staff session.
    "GET_LIB_DOC_EXCLUDES": "store_project.api.schema.doc_excludes",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The browsable API accepts forms too; the documented contract is JSON.
    "PARSER_WHITELIST": ["store_project.api.parsers.StrictJSONParser"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in [
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            *(
                f"ErrorCode{code}Enum"
                for code in (401, 403, 404, 405, 406, 415, 429, 500)
            ),
        ]
    }
    | {
        "OrderStatusEnum": "sales.models.OrderStatus.choices",
        "StockMovementReasonEnum": "inventory.models.MovementReason.choices",
        "LocationKindEnum": "inventory.models.LocationKind.choices",
        "TransferStatusEnum": "inventory.models.TransferStatus.choices",
        "DiscountKindEnum": "sales.models.DiscountKind.choices",
        "WebhookEventEnum": "integrations.models.EventType.choices",
        "DeliveryStatusEnum": "integrations.models.DeliveryStatus.choices",
        "ReturnReasonEnum": "sales.models.ReturnReason.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "store_project.api.schema_hooks.list_item_error_attrs",
        "store_project.api.schema_hooks.empty_query_values",
        "store_project.api.schema_hooks.create_links",
    ],
}

# --- Logging ------------------------------------------------------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = "text"  # "json" in staging/prod


def logging_config(fmt: str, level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "store_project.logging.RequestIdFilter"},
            "personal_data": {"()": "store_project.logging.PersonalDataFilter"},
        },
        "formatters": {
            "json": {"()": "store_project.logging.JsonFormatter"},
            "text": {
                "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] "
                "%(message)s",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": fmt,
                "filters": ["request_id", "personal_data"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # It narrates every start and stop of the embedded server.
            "embedded_postgres": {"level": "WARNING"},
        },
    }


LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
