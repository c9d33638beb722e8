"""Staging: production-shaped; the API docs stay public."""

from .production import *

DOCS_ENABLED = True
