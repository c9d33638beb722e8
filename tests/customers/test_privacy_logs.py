"""No log line holds a client's e-mail, phone or address."""

import io
import logging
from contextlib import contextmanager

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from store_project.logging import PersonalDataFilter, mask_personal_data
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
EMAIL = "marie.tremblay@example.qc.ca"
PHONE = "(418) 555-0173"
ADDRESS_LINES = ("4521 Avenue du Parc-Lafontaine", "Québec QC G1R 4S9")


@contextmanager
def everything_logged():
    """What the configured console handler writes, at DEBUG, SQL included."""
    (console,) = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in h.filters)
    ]
    buffer = io.StringIO()
    previous_stream = console.setStream(buffer)
    loggers = [logging.getLogger(), logging.getLogger("django.db.backends")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # every statement, with its parameters
    try:
        yield buffer
    finally:
        connection.force_debug_cursor = False
        console.setStream(previous_stream)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def assert_no_personal_data(text: str) -> None:
    digits = "".join(c for c in PHONE if c.isdigit())
    for secret in (EMAIL, PHONE, "555-0173", digits, *ADDRESS_LINES, "Lafontaine"):
        assert secret not in text, secret


def test_a_client_lifecycle_logs_no_personal_data(as_role):
    manager, clerk = as_role("manager"), as_role("clerk")
    clerk.raise_request_exception = False
    product = ProductFactory(stock=10)
    body = {
        "name": "Marie Tremblay",
        "email": EMAIL,
        "phone": PHONE,
        "address": "\n".join(ADDRESS_LINES),
    }

    with everything_logged() as logged:
        client_id = clerk.post("/api/v1/clients/", body).json()["id"]
        duplicate = clerk.post("/api/v1/clients/", {**body, "email": EMAIL.upper()})
        clerk.patch(f"/api/v1/clients/{client_id}/", {"phone": PHONE})
        clerk.patch(f"/api/v1/clients/{client_id}/", {"email": "not an e-mail"})
        for term in (EMAIL, PHONE, "Tremblay"):
            clerk.get("/api/v1/clients/", {"search": term})
        order = clerk.post(
            "/api/v1/orders/",
            {"client": client_id, "lines": [{"product": product.pk, "quantity": 2}]},
        ).json()
        clerk.post(f"/api/v1/orders/{order['id']}/confirm/")
        refused = manager.post(f"/api/v1/clients/{client_id}/anonymize/")
        manager.post(f"/api/v1/orders/{order['id']}/cancel/")
        exported = manager.get(f"/api/v1/clients/{client_id}/export/")
        call_command("enforce_retention", "--dry-run", stdout=io.StringIO())
        anonymized = manager.post(f"/api/v1/clients/{client_id}/anonymize/")
    text = logged.getvalue()

    assert (duplicate.status_code, refused.status_code) == (400, 409)
    assert (exported.status_code, anonymized.status_code) == (200, 200)
    assert exported.json()["client"]["phone"] == PHONE
    # It did log: the SQL, the refusals, the export and the anonymization.
    assert "INSERT INTO" in text and "Bad Request" in text and "Conflict" in text
    assert f"Client #{client_id} exported by" in text
    assert f"Client #{client_id} anonymized by" in text
    assert_no_personal_data(text)


def test_errors_and_their_tracebacks_log_no_personal_data(manager_api):
    manager_api.raise_request_exception = False
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        client_id = manager_api.post(
            "/api/v1/clients/",
            {"name": "M", "email": EMAIL, "phone": PHONE, "address": ADDRESS_LINES[0]},
        ).json()["id"]
    logger = logging.getLogger("store.test")

    with everything_logged() as logged:
        undecryptable = manager_api.get(f"/api/v1/clients/{client_id}/")
        try:
            raise ValueError(f"no client {EMAIL} at {PHONE}")
        except ValueError:
            logger.exception("Lookup of %s failed", EMAIL)
    text = logged.getvalue()

    assert undecryptable.status_code == 500
    assert f"client #{client_id} does not decrypt" in text
    assert "Traceback" in text and "ValueError: no client [redacted]" in text
    assert_no_personal_data(text)


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("from ann.lee+shop@example.com.", "from [redacted]."),
        ("call +1 (514) 555-0199 today", "call [redacted] today"),
        ("tel 514.555.0199", "tel [redacted]"),
        ("phone 5145550199", "phone [redacted]"),
        ("args=('%438-555-0102%',)", "args=('%[redacted]%',)"),
        ("local 555 0199", "local [redacted]"),
        ("search=ann@example.com&page=2", "search=[redacted]&page=2"),
    ],
)
def test_the_filter_masks_e_mails_and_phones(message, masked):
    assert mask_personal_data(message) == masked


@pytest.mark.parametrize(
    "message",
    [
        "Order #1234567 confirmed at 2026-12-01 12:00:05",
        "(0.002) SELECT 1; args=(12, 3); alias=default",
        "total 1234567.89, request 3f2a9c1d8e7b",
        "Anonymized 250 clients inactive for more than 1095 days",
    ],
)
def test_the_filter_leaves_ids_dates_amounts_and_counts(message):
    assert mask_personal_data(message) == message
