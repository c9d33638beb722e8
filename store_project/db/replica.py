"""Heavy reads that may lag a little: on the read replica when there is one.

With ``DATABASE_REPLICA_URL`` set, the ``replica`` database exists and
``ReplicaRouter`` sends reads to it only inside ``on_replica()``: the
callers are the reports (the admin's dashboard), nothing that must read its
own writes. Every write, and every other read, goes to the primary.

A replica that does not answer is left alone for ``PAUSE`` seconds and the
reads run on the primary, with one warning line: the dashboard answers
either way.
"""

import contextvars
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PAUSE = 30.0
T = TypeVar("T")

_reading = contextvars.ContextVar("reading_from_replica", default=False)
_down_until = 0.0


class ReplicaRouter:
    """Reads to the replica inside ``on_replica()``; everything else as usual."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reading.get() else None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # read-only: it replays the primary's changes


def on_replica(read: Callable[[], T]) -> T:
    """``read()`` on the replica, or on the primary if there is none or it fails."""
    global _down_until
    if REPLICA not in settings.DATABASES or time.monotonic() < _down_until:
        return read()
    token = _reading.set(True)
    try:
        return read()
    except DatabaseError as error:
        _down_until = time.monotonic() + PAUSE
        logger.warning(
            "The read replica did not answer (%s: %s); reading from the primary "
            "for the next %.0f s",
            type(error).__name__,
            str(error).strip().splitlines()[0] if str(error).strip() else "",
            PAUSE,
        )
        connections[REPLICA].close()
    finally:
        _reading.reset(token)
    return read()
