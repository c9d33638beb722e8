"""The per-user throttle: DRF's sliding window, its history kept unpickled."""

import pytest
from rest_framework import throttling

from store_project.api.throttling import ProcessHistory, UserRateThrottle


def test_history_is_copied_on_read_and_expires(monkeypatch):
    history = ProcessHistory()
    stored = [3.0, 2.0]
    history.set("k", stored, 60)

    read = history.get("k")
    read.insert(0, 4.0)

    assert history.get("k") == [3.0, 2.0]
    assert history.get("missing", []) == []
    clock = iter([1000.0, 1000.0 + 61])
    monkeypatch.setattr(
        "store_project.api.throttling.time.monotonic", lambda: next(clock)
    )
    history.set("late", [1.0], 60)
    assert history.get("late") is None


def test_is_drfs_throttle_with_the_local_cache():
    assert issubclass(UserRateThrottle, throttling.UserRateThrottle)
    assert UserRateThrottle.scope == "user"
    assert isinstance(UserRateThrottle.cache, ProcessHistory)


@pytest.mark.django_db
def test_a_user_over_the_rate_gets_429_and_others_do_not(as_role, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "rate", "3/min", raising=False)
    monkeypatch.setattr(UserRateThrottle, "cache", ProcessHistory())
    busy, other = as_role("clerk"), as_role("clerk")

    answers = [busy.get("/api/v1/products/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert int(busy.get("/api/v1/products/")["Retry-After"]) > 0
    assert other.get("/api/v1/products/").status_code == 200
