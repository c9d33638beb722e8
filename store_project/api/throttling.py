"""The API's throttles: shared by every instance through Redis when it is set.

Without ``REDIS_URL`` (dev, tests) a throttle counts in its own process, as DRF
does. With it, every worker of every instance counts in Redis, by atomic
increments, so that concurrent requests cannot read the same count and all
pass (DRF's read-modify-write of a list of times would let them).

A Redis outage fails open to each process's own count: requests are served,
and a client over the rate within one process is still refused (so the limit
across N processes is at most N times the rate until Redis answers again).
After a failure the process leaves Redis alone for ``OUTAGE_PAUSE`` seconds,
so an unreachable server costs one short time-out, not one per request.
"""

import logging
import math
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

OUTAGE_PAUSE = 5.0


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


# Where every throttle counts while Redis does not answer.
OUTAGE_HISTORY = ProcessHistory()


class _Outage:
    """When this process last found Redis unreachable, and whether to wait."""

    def __init__(self):
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def begin(self, error: Exception) -> None:
        if not self.active():
            logger.warning(
                "Redis did not answer (%s: %s); throttles count in this process "
                "for the next %.0f s",
                type(error).__name__,
                error,
                OUTAGE_PAUSE,
            )
        self.until = time.monotonic() + OUTAGE_PAUSE

    def end(self) -> None:
        self.until = 0.0


outage = _Outage()


# Count this request, start the window's expiry if it is the window's first,
# read the previous window's count: one command, run atomically by Redis. (A
# pipeline of INCR, EXPIRE NX and GET is as many round trips, one, but three
# commands for redis-py to pack and parse.)
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('GET', KEYS[2])}
"""


def _client_of(shared):
    """The redis-py client of Django's Redis cache ``shared`` and the counting
    script registered with it, made once.

    Django's ``RedisCache`` makes a new client object for every command, and
    building one (its response callbacks) cost more than the round trip. The
    cache object is per thread (``caches`` is thread-local), and so is this.
    """
    client = getattr(shared, "_throttle_client", None)
    if client is None:
        redis = shared._cache.get_client(write=True)
        client = shared._throttle_client = (redis, redis.register_script(_COUNT))
    return client


class SharedRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle whose counts live in the shared cache when there is one.

    With a per-process cache configured, DRF's own sliding window runs on
    ``cache``. With Redis, each client has a counter per fixed window of the
    rate's duration, incremented atomically (under the cache's keys, written
    as the cache writes integers); the count is the current window's
    plus the previous one's weighted by how much of it still overlaps the last
    ``duration`` seconds (a sliding window, to within the previous window's
    spread). A refused request is taken back off its counter, as DRF does not
    count refusals.
    """

    def allow_request(self, request, view):
        shared = caches["default"]
        if isinstance(shared, LocMemCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        if not outage.active():
            try:
                return self._allow_shared(shared)
            except RedisError as error:
                outage.begin(error)
        self.cache = OUTAGE_HISTORY
        return super().allow_request(request, view)

    def _allow_shared(self, shared) -> bool:
        now = self.timer()
        window, offset = divmod(now, self.duration)
        current = shared.make_and_validate_key(f"{self.key}:{int(window)}")
        previous = shared.make_and_validate_key(f"{self.key}:{int(window) - 1}")
        redis, count_script = _client_of(shared)
        count, before = count_script([current, previous], [2 * self.duration])
        before = int(before or 0)
        overlap = 1 - offset / self.duration
        if before * overlap + count <= self.num_requests:
            return True
        redis.decr(current)
        self._shared_wait = self._seconds_until_allowed(before, count - 1, offset)
        return False

    def _seconds_until_allowed(self, previous: int, current: int, offset: float):
        """How long until one more request fits, if no other one comes."""
        room = self.num_requests - 1
        if current > room:
            # Only in a later window, once enough of this one has slid out.
            return self.duration - offset + self.duration * (1 - room / current)
        # Once enough of the previous window has slid out.
        return max(self.duration * (1 - (room - current) / previous) - offset, 0.0)

    def wait(self):
        shared_wait = getattr(self, "_shared_wait", None)
        if shared_wait is not None:
            return max(math.ceil(shared_wait), 1)
        return super().wait()


class UserRateThrottle(SharedRateThrottle, throttling.UserRateThrottle):
    """DRF's UserRateThrottle (same rates, same keys), shared through Redis.

    Without Redis its sliding window lives in ``ProcessHistory``: the cache
    would be the per-process LocMemCache anyway.
    """

    cache = ProcessHistory()
