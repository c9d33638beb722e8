"""Old events are forgotten once nothing is left to send."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.models import Delivery, DeliveryStatus, Event
from integrations.services import _PURGE_LOCK, events_purge
from integrations.worker import Worker
from tests.helpers import other_session

from .conftest import confirmed_order, make_webhook

pytestmark = pytest.mark.django_db


def test_purge_deletes_old_events_whose_deliveries_are_all_done():
    make_webhook("http://127.0.0.1:9/a")
    make_webhook("http://127.0.0.1:9/b")
    old_done, old_pending, recent = (confirmed_order() for _ in range(3))
    long_ago = timezone.now() - timedelta(days=31)
    Event.objects.exclude(object_id=recent.pk).update(created_at=long_ago)
    done = Delivery.objects.filter(event__object_id__in=[old_done.pk, recent.pk])
    done.update(
        status=DeliveryStatus.DELIVERED, next_attempt_at=None, delivered_at=long_ago
    )
    # One of the two deliveries of this old event is still pending.
    Delivery.objects.filter(
        event__object_id=old_pending.pk, webhook__url__endswith="/a"
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=None)

    out = StringIO()
    call_command("purge_webhook_events", stdout=out)

    assert "Purged 1 webhook events" in out.getvalue()
    assert set(Event.objects.values_list("object_id", flat=True)) == {
        old_pending.pk,
        recent.pk,
    }
    assert Delivery.objects.count() == 4


def test_purge_refuses_a_negative_retention():
    with pytest.raises(CommandError):
        call_command("purge_webhook_events", "--days", "-1")


def old_done_events(count: int) -> None:
    make_webhook("http://127.0.0.1:9/a")
    for _ in range(count):
        confirmed_order()
    long_ago = timezone.now() - timedelta(days=31)
    Event.objects.update(created_at=long_ago)
    Delivery.objects.update(
        status=DeliveryStatus.DELIVERED, next_attempt_at=None, delivered_at=long_ago
    )


def test_purge_goes_in_batches_until_nothing_is_left():
    old_done_events(3)

    purged = events_purge(before=timezone.now() - timedelta(days=30), batch=1)

    assert purged == 3
    assert not Event.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_only_one_process_purges_at_a_time():
    old_done_events(2)
    other = other_session()
    try:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [_PURGE_LOCK])

        assert events_purge(before=timezone.now()) == 0
        assert Event.objects.count() == 2
    finally:
        other.rollback()
        other.close()
    assert events_purge(before=timezone.now()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_purges_when_it_starts():
    old_done_events(2)
    worker = Worker()
    try:
        worker.run(stop=threading.Event(), once=True)
    finally:
        worker.close()
    assert not Event.objects.exists()
