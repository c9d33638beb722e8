"""Throttles on Redis: atomic counts, a sliding window, and an outage that degrades.

Each test points Django's cache at the machine's Redis (a database of the
tests' own, a key prefix of the test's own), as production settings do.
The cross-process proof, two gunicorn instances, is tests/deploy/test_two_instances.py.
"""

import logging
import socket
import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from staff.auth import LoginRateThrottle
from store_project.api import throttling
from store_project.api.throttling import SharedRateThrottle, UserRateThrottle
from tests.helpers import (
    free_port,
    redis_cache_settings,
    redis_client,
    run_concurrently,
)

LOGIN = "/api/v1/auth/token/"


def attempt(client, username="ann"):
    return client.post(LOGIN, {"username": username, "password": "wrong"})


@pytest.fixture(autouse=True)
def no_outage_left_over():
    throttling.outage.end()
    throttling.OUTAGE_HISTORY.__init__()
    yield
    throttling.outage.end()
    throttling.OUTAGE_HISTORY.__init__()


@pytest.fixture
def shared_cache():
    """Django's cache on Redis for this test; its keys deleted after."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    client = redis_client()
    with override_settings(CACHES=redis_cache_settings(prefix)):
        yield client
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.django_db
def test_login_attempts_are_counted_in_redis(shared_cache, monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    client = APIClient()

    statuses = [attempt(client).status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]
    refused = attempt(client)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert attempt(client, "bob").status_code == 400
    # The counts are in Redis: one window counter each, ann's at three.
    prefix = caches["default"].key_prefix
    counts = {
        key: int(shared_cache.get(key))
        for key in shared_cache.scan_iter(f"{prefix}:*throttle_login*")
    }
    assert sorted(counts.values()) == [1, 3]
    key = max(counts, key=counts.get)
    assert shared_cache.ttl(key) > 0


@pytest.mark.django_db
def test_a_flushed_cache_only_forgets_throttle_counts(shared_cache, monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "2/min", raising=False)
    client = APIClient()
    assert [attempt(client).status_code for _ in range(3)] == [400, 400, 429]

    caches["default"].clear()

    assert attempt(client).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_login_attempts_never_pass_the_rate_together(
    shared_cache, monkeypatch
):
    # A read-modify-write of a shared count lets simultaneous attempts read
    # the same count and all pass; increments do not.
    monkeypatch.setattr(LoginRateThrottle, "rate", "5/min", raising=False)

    statuses = run_concurrently(
        [lambda: attempt(APIClient()).status_code for _ in range(16)]
    )

    assert sorted(statuses) == [400] * 5 + [429] * 11


@pytest.mark.django_db
def test_the_user_throttle_counts_in_redis(shared_cache, as_role, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "rate", "3/min", raising=False)
    busy, other = as_role("clerk"), as_role("clerk")

    answers = [busy.get("/api/v1/products/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert other.get("/api/v1/products/").status_code == 200
    assert throttling.OUTAGE_HISTORY._entries == {}


@pytest.mark.django_db
def test_the_window_slides_and_retry_after_says_when(shared_cache, monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "4/min", raising=False)
    now = [1_000_020.0]  # 1,000,020 is 0 s into a minute: 30 s in below
    monkeypatch.setattr(SharedRateThrottle, "timer", lambda self: now[0])
    client = APIClient()

    now[0] += 30
    assert [attempt(client).status_code for _ in range(4)] == [400] * 4
    refused = attempt(client)
    # Free again 15 s into the next minute: then 3/4 of this window's four
    # attempts still overlap the last 60 s, and one more fits.
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"

    now[0] += 44
    assert attempt(client).status_code == 429
    now[0] += 1
    assert attempt(client).status_code == 400
    assert attempt(client).status_code == 429

    now[0] += 60  # all of the first window has slid out
    assert [attempt(client).status_code for _ in range(3)] == [400] * 3


def assert_served_and_throttled_in_process(client, monkeypatch, *, budget: float):
    monkeypatch.setattr(LoginRateThrottle, "rate", "3/min", raising=False)
    started = time.monotonic()

    statuses = [attempt(client).status_code for _ in range(6)]

    elapsed = time.monotonic() - started
    # Served (the login's own answer), still throttled in this process,
    # and the time-out paid once, not on every request.
    assert statuses == [400, 400, 400, 429, 429, 429]
    assert elapsed < budget, elapsed


@pytest.mark.django_db
def test_an_unreachable_redis_fails_open_to_the_process_count(monkeypatch, caplog):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with (
        override_settings(CACHES=redis_cache_settings("down", url)),
        caplog.at_level(logging.WARNING, logger=throttling.__name__),
    ):
        assert_served_and_throttled_in_process(APIClient(), monkeypatch, budget=2.0)

    warnings = [r.getMessage() for r in caplog.records if r.name == throttling.__name__]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("Redis did not answer (ConnectionError")


@pytest.fixture
def hung_redis():
    """A port that accepts connections and never answers, as a stuck server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.django_db
def test_a_hung_redis_costs_one_short_time_out_not_a_hang(
    hung_redis, monkeypatch, caplog
):
    with (
        override_settings(CACHES=redis_cache_settings("hung", hung_redis)),
        caplog.at_level(logging.WARNING, logger=throttling.__name__),
    ):
        assert_served_and_throttled_in_process(APIClient(), monkeypatch, budget=2.0)

    (warning,) = [r for r in caplog.records if r.name == throttling.__name__]
    assert "TimeoutError" in warning.getMessage()


@pytest.mark.django_db
def test_after_the_pause_redis_is_tried_again(shared_cache, monkeypatch):
    monkeypatch.setattr(LoginRateThrottle, "rate", "2/min", raising=False)
    client = APIClient()
    throttling.outage.begin(ConnectionError("planted"))

    assert [attempt(client).status_code for _ in range(3)] == [400, 400, 429]
    assert len(throttling.OUTAGE_HISTORY._entries) == 1

    throttling.outage.end()  # as when OUTAGE_PAUSE has passed
    # Redis counts afresh: the outage's attempts were this process's only.
    assert [attempt(client).status_code for _ in range(3)] == [400, 400, 429]
