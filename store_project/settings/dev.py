"""Local development: DEBUG on, SQLite unless DATABASE_URL says otherwise."""

from .base import *

DEBUG = True
SECRET_KEY = env("SECRET_KEY", default=SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
DATABASES = {
    "default": database_config(
        env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DOCS_ENABLED = env.bool("DOCS_ENABLED", default=True)
