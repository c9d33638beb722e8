"""The worker: sends what the outbox holds, signed, with retries.

PostgreSQL is the queue. A batch of due deliveries is claimed with ``SELECT
... FOR NO KEY UPDATE SKIP LOCKED`` and stays locked while it is sent and
its results are written, all in one transaction: any number of workers can
run, each delivery is attempted by one of them at a time, and a worker that
dies (even by SIGKILL) drops its connection, so its batch is simply pending
again for the next worker. The price is at-least-once delivery: a batch sent
but not yet committed when its worker died is sent again (receivers dedupe on
``X-Store-Event-Id``).

A delivery is not claimed while an earlier event of the same object is still
pending for the same webhook, so a receiver hears of one object's events in
the order they happened (a batch thus never holds two events of one object,
and its deliveries are sent in parallel).
"""

import hashlib
import hmac
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import orjson
from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from store_project.api.representation import timestamp

from .models import MAX_ATTEMPTS, Delivery, DeliveryStatus, Event
from .safety import http_client
from .services import events_purge

logger = logging.getLogger(__name__)

EXCERPT = 500  # characters of a receiver's answer kept, and of an error
USER_AGENT = "store-webhooks/1"


def _setting(name: str, default):
    return getattr(settings, name, default)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: doubling, with jitter.

    Half of the doubled delay is fixed and half random ("equal jitter"), so
    retries after one receiver's outage do not all arrive together.
    """
    base = float(_setting("WEBHOOK_RETRY_BASE_SECONDS", 10))
    ceiling = float(_setting("WEBHOOK_RETRY_MAX_SECONDS", 3600))
    delay = min(ceiling, base * 2 ** (attempts - 1))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))


def body_of(event: Event) -> bytes:
    """``{id, type, created_at, data}``; ``data`` as recorded, byte for byte."""
    head = orjson.dumps(
        {"id": event.pk, "type": event.type, "created_at": timestamp(event.created_at)}
    )
    return head[:-1] + b',"data":' + event.data.encode() + b"}"


def signature(secret: str, unix_time: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{unix_time}.".encode() + body, hashlib.sha256)
    return f"t={unix_time},v1={mac.hexdigest()}"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str
    response: str
    duration_ms: int


def _clean(text: str) -> str:
    # PostgreSQL refuses NUL in text; a receiver's answer may hold one.
    return text.replace("\x00", "")[:EXCERPT]


def send(client: httpx.Client, delivery: Delivery, timeout: float) -> Outcome:
    """POST one delivery; never raises for anything the receiver does."""
    event = delivery.event
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Store-Event": event.type,
        "X-Store-Event-Id": str(event.pk),
        "X-Store-Signature": signature(delivery.webhook.secret, int(time.time()), body),
    }
    started = time.monotonic()
    status_code, error, excerpt = None, "", b""
    try:
        with client.stream(
            "POST", delivery.webhook.url, content=body, headers=headers
        ) as response:
            status_code = response.status_code
            for chunk in response.iter_raw():
                excerpt += chunk
                if len(excerpt) >= EXCERPT:
                    break
    except httpx.TimeoutException:
        error = f"No answer within {timeout:g} s."
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as failure:
        error = (
            f"{type(failure).__name__}: {failure}" if str(failure) else repr(failure)
        )
    except Exception as failure:  # a bug here must not block the batch forever
        logger.exception("webhook delivery %s: sending failed", delivery.pk)
        error = f"{type(failure).__name__}: {failure}"
    elapsed = time.monotonic() - started
    if status_code is not None and not error:
        if elapsed > timeout:
            error = f"The answer took {elapsed:.1f} s, more than {timeout:g} s."
        elif not 200 <= status_code < 300:
            error = f"The receiver answered {status_code}."
    return Outcome(
        delivered=not error,
        status_code=status_code,
        error=_clean(error),
        response=_clean(excerpt.decode("utf-8", errors="replace")),
        duration_ms=round(elapsed * 1000),
    )


_RECORDED = [
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_status_code",
    "last_error",
    "last_response",
    "last_duration_ms",
    "delivered_at",
]


def _record(delivery: Delivery, outcome: Outcome, now) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.last_response = outcome.response
    delivery.last_duration_ms = outcome.duration_ms
    if outcome.delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    # Failures are worth a line each; a busy outbox delivers hundreds a second.
    log = logger.debug if outcome.delivered else logger.warning
    log(
        "webhook delivery %s (event %s, %s) to webhook %s: %s after attempt %s%s",
        delivery.pk,
        delivery.event_id,
        delivery.event.type,
        delivery.webhook_id,
        delivery.status,
        delivery.attempts,
        f" ({outcome.error})" if outcome.error else "",
    )


def due_deliveries(*, now, limit: int):
    """The deliveries to claim now: due, and first of their object for their webhook."""
    earlier = Delivery.objects.filter(
        webhook_id=OuterRef("webhook_id"),
        object_key=OuterRef("object_key"),
        status=DeliveryStatus.PENDING,
        event_id__lt=OuterRef("event_id"),
    )
    return (
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            webhook__is_active=True,
        )
        .filter(~Exists(earlier))
        .select_related("webhook", "event")
        .order_by("next_attempt_at", "id")
        .select_for_update(skip_locked=True, no_key=True, of=("self",))[:limit]
    )


class Worker:
    """Claims, sends and records batches until told to stop."""

    def __init__(self, *, batch_size: int | None = None, timeout: float | None = None):
        self.batch_size = batch_size or int(_setting("WEBHOOK_BATCH_SIZE", 10))
        self.timeout = timeout or float(_setting("WEBHOOK_TIMEOUT_SECONDS", 10))
        self.client = http_client(timeout=self.timeout, connections=self.batch_size)
        self.senders = ThreadPoolExecutor(
            max_workers=self.batch_size, thread_name_prefix="webhook-send"
        )

    def close(self) -> None:
        self.senders.shutdown(wait=True)
        self.client.close()

    def deliver_batch(self) -> int:
        """Send one batch of due deliveries and record the results; answer how many."""
        with transaction.atomic():
            batch = list(due_deliveries(now=timezone.now(), limit=self.batch_size))
            if not batch:
                return 0
            outcomes = list(
                self.senders.map(lambda d: send(self.client, d, self.timeout), batch)
            )
            now = timezone.now()
            for delivery, outcome in zip(batch, outcomes, strict=True):
                _record(delivery, outcome, now)
            Delivery.objects.bulk_update(batch, _RECORDED)
        return len(batch)

    def purge(self) -> int:
        """Forget the events older than the retention period, now done with.

        The workers are the store's scheduler for this: each purges when it
        starts and then every ``WEBHOOK_PURGE_INTERVAL_SECONDS``; an
        advisory lock keeps two from doing it at once.
        """
        days = int(_setting("WEBHOOK_RETENTION_DAYS", 30))
        purged = events_purge(before=timezone.now() - timedelta(days=days))
        if purged:
            logger.info("webhook events older than %s days purged: %s", days, purged)
        return purged

    def run(self, *, stop: threading.Event, once: bool = False) -> int:
        """Deliver until ``stop`` is set (or, ``once``, until nothing is due).

        A batch under way is finished before stopping: it is bounded by the
        timeout, well within a container's stop grace period.
        """
        idle = float(_setting("WEBHOOK_POLL_SECONDS", 1.0))
        heartbeat = _setting("WEBHOOK_HEARTBEAT_FILE", "")
        purge_every = float(_setting("WEBHOOK_PURGE_INTERVAL_SECONDS", 3600))
        next_purge = time.monotonic()
        total = 0
        while not stop.is_set():
            if heartbeat:
                # The container's health check reads its age
                # (deploy/worker_healthcheck.py): the loop is turning.
                Path(heartbeat).touch()
            close_old_connections()
            try:
                if purge_every and time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + purge_every
                    self.purge()
                done = self.deliver_batch()
            except DatabaseError:
                if once:
                    raise
                logger.exception("webhook worker: database error; retrying")
                stop.wait(idle * 5)
                continue
            total += done
            if not done:
                if once:
                    break
                stop.wait(idle)
            # After a batch, at once: its deliveries may have let the next
            # events of their objects through.
        return total
