"""Staging: production-shaped; the API docs stay public."""

from .deployed import *

DOCS_ENABLED = True
