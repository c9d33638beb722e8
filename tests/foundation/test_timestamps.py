"""Timestamps come back from PostgreSQL exactly as Django's own loader reads them."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils import timezone
from psycopg.pq import Format
from rest_framework import serializers

from catalog.models import Product
from store_project.api import representation
from store_project.timestamps import TIMESTAMPTZ_OID, tz_loader
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    b"2026-11-26 13:44:03.548227+00",
    b"2026-11-26 13:44:03+00",
    b"0001-01-01 00:00:00+00",
    b"9999-12-31 23:59:59.999999+00",
    b"2024-02-29 23:59:59.5+00",
]


def test_every_connection_reads_timestamps_with_the_store_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert loader is tz_loader(connection.timezone)


def test_the_loader_reads_what_djangos_reads():
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor)  # Django's own, on one cursor
        djangos = cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        ours = tz_loader(connection.timezone)
        for text in TEXTS:
            expected = djangos(TIMESTAMPTZ_OID, cursor).load(text)
            got = ours(TIMESTAMPTZ_OID, cursor).load(text)
            assert got == expected
            assert got.tzinfo == expected.tzinfo == datetime.UTC


def test_written_timestamps_read_back_exactly_in_any_current_time_zone():
    moment = datetime.datetime(2026, 3, 8, 7, 30, 15, 123456, tzinfo=datetime.UTC)
    product = ProductFactory()
    Product.objects.filter(pk=product.pk).update(created_at=moment)

    with timezone.override("America/Montreal"):
        read = Product.objects.get(pk=product.pk).created_at
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::timestamptz", [moment])
            raw = cursor.fetchone()[0]

    assert read == raw == moment
    assert read.utcoffset() == datetime.timedelta(0)


UTC = datetime.UTC
PLUS_5 = datetime.timezone(datetime.timedelta(hours=5))


@pytest.mark.parametrize("zone", ["UTC", "America/Toronto"])
@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 12, 1, 14, 3, 4, 123456, tzinfo=UTC),
        datetime.datetime(2026, 12, 1, 14, 3, 4, tzinfo=UTC),  # no microseconds
        datetime.datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),  # DST starts
        datetime.datetime(
            2026,
            6,
            1,
            0,
            0,
            0,
            1,
            tzinfo=datetime.timezone(datetime.timedelta(hours=5)),
        ),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_representations_write_timestamps_as_drf_does(value, zone):
    with timezone.override(zone):
        assert representation.timestamp(value) == (
            serializers.DateTimeField().to_representation(value)
        )
