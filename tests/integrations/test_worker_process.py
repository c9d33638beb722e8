"""``manage.py deliver_webhooks`` as a real process: SIGTERM, SIGKILL, restart."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from integrations.models import Delivery, DeliveryStatus

from .conftest import confirmed_order, make_webhook

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def worker_environment() -> dict[str, str]:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "store_project.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "WEBHOOK_POLL_SECONDS": "0.1",
    }


def start_worker(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_webhooks", *args],
        cwd=ROOT,
        env={**worker_environment(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_sigterm_finishes_the_batch_under_way_then_exits(receiver):
    receiver.answer = lambda request: (200, b"", 1.5)
    webhook = make_webhook(receiver.url)
    confirmed_order()
    worker = start_worker()
    try:
        wait_until(lambda: receiver.received)  # the delivery is in flight
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=15)
    finally:
        worker.kill()
    assert worker.returncode == 0, output
    delivery = webhook.deliveries.get()
    assert delivery.status == DeliveryStatus.DELIVERED, output
    assert len(receiver.received) == 1


def test_sigterm_stops_an_idle_worker_at_once(db, tmp_path):
    heartbeat = tmp_path / "heartbeat"
    worker = start_worker(WEBHOOK_HEARTBEAT_FILE=str(heartbeat))
    try:
        wait_until(heartbeat.exists)  # started, and waiting for work
        assert worker.poll() is None
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=10)
    finally:
        worker.kill()
    assert worker.returncode == 0, output
    assert time.monotonic() - started < 3
    assert "0 webhook deliveries" in output


def test_a_worker_killed_mid_batch_loses_nothing(receiver):
    receiver.answer = lambda request: (200, b"", 0.5)
    webhook = make_webhook(receiver.url)
    for _ in range(12):
        confirmed_order()
    worker = start_worker("--batch-size", "4")
    try:
        wait_until(lambda: receiver.received)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        worker.kill()
    # Its claims died with its connection: everything not committed as
    # delivered is pending again, for the next worker.
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()

    receiver.answer = lambda request: (200, b"", 0.0)
    again = start_worker("--once")
    output, _ = again.communicate(timeout=60)

    assert again.returncode == 0, output
    assert set(webhook.deliveries.values_list("status", flat=True)) == {"delivered"}
    # At least once: each event arrived, those of the killed batch twice.
    event_ids = set(webhook.deliveries.values_list("event_id", flat=True))
    assert set(receiver.event_ids()) == event_ids
    assert len(receiver.event_ids()) <= len(event_ids) + 4
