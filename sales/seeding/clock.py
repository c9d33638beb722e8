"""Replaying past days through the services, which stamp ``timezone.now()``."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_real_now = timezone.now
_local = threading.local()
_install_lock = threading.Lock()
_users = 0


def _now() -> datetime:
    moment = getattr(_local, "moment", None)
    return moment if moment is not None else _real_now()


class SimulatedClock:
    """The time the current thread's services see while the clock is in use."""

    def set(self, moment: datetime) -> None:
        _local.moment = moment


@contextmanager
def simulated_clock() -> Iterator[SimulatedClock]:
    """Make ``django.utils.timezone.now()`` answer a time the caller sets.

    The services, ``auto_now`` fields and the ledger all read the time through
    that one function, so a demo order confirmed "three months ago" gets the
    same instant on the order, its history row and its stock movements. The
    simulated time belongs to the calling thread; every other thread keeps
    the real time, and the real function is put back when the last user
    leaves.
    """
    global _users
    with _install_lock:
        if _users == 0:
            timezone.now = _now
        _users += 1
    previous = getattr(_local, "moment", None)
    try:
        yield SimulatedClock()
    finally:
        _local.moment = previous
        with _install_lock:
            _users -= 1
            if _users == 0:
                timezone.now = _real_now
