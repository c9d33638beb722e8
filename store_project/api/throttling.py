"""The per-user API throttle, without pickling its history on every request."""

import threading
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling


class ProcessHistory:
    """The ``get``/``set`` SimpleRateThrottle uses, in this process's memory.

    DRF keeps each user's request times of the last window in the cache. The
    default cache (LocMemCache) is per process too, but pickles the whole list
    on every request: 0.2 ms at 5,000 entries, which a busy till reaches in a
    minute. This keeps the same per-process lists, copied instead of pickled
    when read (each request works on its own copy, as with the cache).
    """

    MAX_KEYS = 10_000

    def __init__(self):
        self._entries: dict[str, tuple[float, list]] = {}
        self._lock = threading.Lock()

    def get(self, key, default=None):
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return default
        return list(entry[1])

    def set(self, key, value, timeout):
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.MAX_KEYS:
                self._entries = {
                    k: entry for k, entry in self._entries.items() if entry[0] > now
                }
            self._entries[key] = (now + timeout, value)


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's UserRateThrottle (same rates, same sliding window, same keys).

    Its history lives in ``ProcessHistory`` when the default cache is the
    per-process LocMemCache anyway; with a shared cache (Redis, memcached)
    configured, the cache is used as DRF does.
    """

    cache = (
        ProcessHistory()
        if isinstance(caches["default"], LocMemCache)
        else throttling.UserRateThrottle.cache
    )
