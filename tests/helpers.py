"""Assertions and tools shared by the tests."""

import os
import socket
import threading
import time

import psycopg
from django.db import connection
from django.db.models import Sum


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_error(response, status: int, *, code: str | None = None, attr=...):
    """The response is an error in the contract's single JSON shape."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] in {"validation_error", "client_error", "server_error"}
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
        assert isinstance(error["detail"], str) and error["detail"]
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    if attr is not ...:
        assert attr in [e["attr"] for e in body["errors"]], body
    return body


def assert_ledger_exact():
    """Every stock level equals the sum of its movements there, and no
    movement is at a product and location without a stock level."""
    from inventory.models import StockLevel, StockMovement

    levels = {
        (level.product_id, level.location_id): level.on_hand
        for level in StockLevel.objects.all()
    }
    moved = {
        (product, location): total
        for product, location, total in StockMovement.objects.values_list(
            "product_id", "location_id"
        )
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    assert {k: v for k, v in levels.items() if v} == {
        k: v for k, v in moved.items() if v
    }
    assert set(moved) <= set(levels)
    assert all(on_hand >= 0 for on_hand in levels.values())


def stock_of(product, location=None) -> int:
    """A product's stock: its total, or what ``location`` holds of it."""
    from inventory.models import StockLevel

    levels = StockLevel.objects.filter(product_id=product.pk)
    if location is not None:
        levels = levels.filter(location_id=location.pk)
    return levels.aggregate(total=Sum("on_hand"))["total"] or 0


def run_concurrently(functions):
    """Run callables in threads released together, each on its own connection.

    Returns their results in order; an exception in any thread fails the
    caller (after every thread has finished).
    """
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def other_session() -> psycopg.Connection:
    """A second, independent connection to the test database (PostgreSQL)."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("options", None)
    return psycopg.connect(**params, autocommit=False)


def wait_for_a_lock_wait(session: psycopg.Connection, timeout: float = 10.0) -> None:
    """Return once another session of the database waits for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Activity is read once per transaction unless the snapshot is cleared.
        session.execute("SELECT pg_stat_clear_snapshot()")
        waiting = session.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError(f"no session waited for a lock within {timeout} s")


# A Redis database the tests may write to; each test keeps to its own key
# prefix and deletes its keys after (the machine's Redis may be shared).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_cache_settings(prefix: str, url: str = TEST_REDIS_URL) -> dict:
    """``CACHES`` as production has it (settings.base.cache_config), at ``url``."""
    from store_project.settings.base import cache_config

    config = cache_config(url)
    config["default"]["KEY_PREFIX"] = prefix
    return config


def redis_client(url: str = TEST_REDIS_URL):
    """A plain client of the tests' Redis; fails the test if it does not answer."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        raise AssertionError(
            f"no Redis at {url} ({error}); start one (see .ci/run) or set "
            "TEST_REDIS_URL"
        ) from error
    return client
