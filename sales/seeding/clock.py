"""Replaying past days through the services, which stamp ``timezone.now()``."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone


class SimulatedClock:
    def __init__(self) -> None:
        self.moment: datetime | None = None

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment if self.moment is not None else _real_now()


_real_now = timezone.now


@contextmanager
def simulated_clock() -> Iterator[SimulatedClock]:
    """Make ``django.utils.timezone.now()`` answer a time the caller sets.

    The services, ``auto_now`` fields and the ledger all read the time through
    that one function, so a demo order confirmed "three months ago" gets the
    same instant on the order, its history row and its stock movements.
    Meant for the single-threaded seeding command, never for a server.
    """
    clock = SimulatedClock()
    original = timezone.now
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = original
