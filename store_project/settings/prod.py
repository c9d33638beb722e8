"""Production: docs hidden (404) unless DOCS_ENABLED=true, then staff only."""

from .deployed import *

DOCS_ENABLED = env.bool("DOCS_ENABLED", default=False)
DOCS_STAFF_ONLY = True
