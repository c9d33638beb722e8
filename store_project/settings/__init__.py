"""Settings chosen by ``DJANGO_ENV``: ``dev`` (default), ``staging`` or ``prod``.

``DJANGO_SETTINGS_MODULE=store_project.settings`` picks the module named by
``DJANGO_ENV``; tests point straight at ``store_project.settings.test``, and
then nothing here runs (dev settings would start the embedded server).
"""

import os
import sys

_ENVIRONMENTS = ("dev", "staging", "prod")
_env = os.environ.get("DJANGO_ENV", "dev").strip() or "dev"
if os.environ.get("DJANGO_SETTINGS_MODULE", __name__) == __name__:
    if _env not in _ENVIRONMENTS:
        sys.exit(f"DJANGO_ENV must be one of {', '.join(_ENVIRONMENTS)}; got {_env!r}.")
    if _env == "prod":
        from .prod import *
    elif _env == "staging":
        from .staging import *
    else:
        from .dev import *
