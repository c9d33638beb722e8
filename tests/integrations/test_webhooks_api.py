"""The webhooks API: subscriptions (managers only), the secret shown once."""

import pytest
from django.test import override_settings

from integrations.models import Delivery, Webhook
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"
PUBLIC = "https://93.184.215.14/hooks/store"  # a public address, as a literal


def test_create_generates_a_secret_and_shows_it_once(manager_api):
    response = manager_api.post(
        URL, {"url": PUBLIC, "events": ["order.confirmed", "stock.low"]}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "url", "events", "secret", "is_active", "created_at"}
    webhook = Webhook.objects.get()
    assert body["secret"] == webhook.secret and len(webhook.secret) >= 32
    assert body["events"] == ["order.confirmed", "stock.low"]
    assert body["is_active"] is True
    # Never again: not on the detail, not in the list, not after an update.
    detail = manager_api.get(f"{URL}{webhook.pk}/").json()
    assert "secret" not in detail
    assert "secret" not in manager_api.get(URL).json()["results"][0]
    patched = manager_api.patch(f"{URL}{webhook.pk}/", {"is_active": False})
    assert patched.status_code == 200 and "secret" not in patched.json()
    webhook.refresh_from_db()
    assert webhook.secret == body["secret"] and webhook.is_active is False


def test_a_given_secret_is_kept_and_a_new_one_replaces_it(manager_api):
    response = manager_api.post(
        URL,
        {"url": PUBLIC, "events": ["order.shipped"], "secret": "s" * 20},
    )
    assert response.status_code == 201
    webhook = Webhook.objects.get()
    assert webhook.secret == "s" * 20

    manager_api.patch(f"{URL}{webhook.pk}/", {"secret": "t" * 24})
    webhook.refresh_from_db()
    assert webhook.secret == "t" * 24


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"url": PUBLIC, "events": []}, "events"),
        ({"url": PUBLIC, "events": ["order.exploded"]}, "events.0"),
        ({"url": PUBLIC, "events": "order.confirmed"}, "events"),
        ({"url": "ftp://93.184.215.14/x", "events": ["order.shipped"]}, "url"),
        ({"url": "not a url", "events": ["order.shipped"]}, "url"),
        ({"url": PUBLIC, "events": ["order.shipped"], "secret": "short"}, "secret"),
        (
            {"url": PUBLIC, "events": ["order.shipped"], "secret": 12345678901234567},
            "secret",
        ),
        ({"url": PUBLIC, "events": ["order.shipped"], "is_active": "yes"}, "is_active"),
        ({"events": ["order.shipped"]}, "url"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_written(manager_api, body, attr):
    response = manager_api.post(URL, body, format="json")

    assert_error(response, 400, attr=attr)
    assert not Webhook.objects.exists()


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://127.1/hook",  # resolves to 127.0.0.1
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.9/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_urls_that_resolve_to_private_addresses_are_refused(manager_api, url):
    response = manager_api.post(URL, {"url": url, "events": ["order.shipped"]})

    assert_error(response, 400, attr="url")
    assert not Webhook.objects.exists()


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_a_public_address_is_accepted_and_a_change_to_a_private_one_refused(
    manager_api,
):
    created = manager_api.post(URL, {"url": PUBLIC, "events": ["order.shipped"]})
    assert created.status_code == 201
    webhook_id = created.json()["id"]

    response = manager_api.patch(f"{URL}{webhook_id}/", {"url": "http://127.0.0.1:9/x"})

    assert_error(response, 400, code="private_url", attr="url")
    assert Webhook.objects.get().url == PUBLIC


def test_private_addresses_are_allowed_when_the_setting_says_so(manager_api):
    # The test settings allow them, as dev does: receivers on 127.0.0.1.
    response = manager_api.post(
        URL, {"url": "http://127.0.0.1:9/hook", "events": ["order.shipped"]}
    )
    assert response.status_code == 201


@pytest.mark.parametrize("role", ["clerk", "warehouse"])
def test_only_managers_see_or_change_webhooks(as_role, role):
    api = as_role(role)
    webhook = Webhook.objects.create(
        url=PUBLIC, events=["order.shipped"], secret="x" * 20
    )

    assert_error(api.get(URL), 403)
    assert_error(api.get(f"{URL}{webhook.pk}/"), 403)
    assert_error(api.post(URL, {"url": PUBLIC, "events": ["order.shipped"]}), 403)
    assert_error(api.get(f"{URL}{webhook.pk}/deliveries/"), 403)
    assert Webhook.objects.count() == 1


def test_anonymous_requests_get_401(api_client):
    assert_error(api_client.get(URL), 401)


def test_delete_removes_the_webhook_and_its_deliveries(manager_api, delivered):
    webhook = delivered.webhook

    response = manager_api.delete(f"{URL}{webhook.pk}/")

    assert response.status_code == 204
    assert not Webhook.objects.exists() and not Delivery.objects.exists()


def test_the_audit_log_records_each_change_and_never_the_secret(manager_api):
    from audit.models import AuditEntry

    created = manager_api.post(
        URL, {"url": PUBLIC, "events": ["order.shipped"], "secret": "s" * 20}
    ).json()
    manager_api.patch(
        f"{URL}{created['id']}/", {"secret": "t" * 20, "is_active": False}
    )
    manager_api.delete(f"{URL}{created['id']}/")

    entries = list(
        AuditEntry.objects.filter(object_type="webhook")
        .order_by("id")
        .values("action", "object_id", "changes", "actor")
    )
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert {e["object_id"] for e in entries} == {created["id"]}
    assert entries[0]["changes"]["url"] == [None, PUBLIC]
    assert entries[1]["changes"]["is_active"] == [True, False]
    for entry in entries:
        assert entry["changes"]["secret"] == ["[redacted]", "[redacted]"]
        assert entry["actor"] == manager_api.user.username
    assert "s" * 20 not in str(entries) and "t" * 20 not in str(entries)


def test_the_list_filters_on_is_active_and_refuses_a_bad_value(manager_api):
    on = Webhook.objects.create(url=PUBLIC, events=["order.shipped"], secret="x" * 20)
    Webhook.objects.create(
        url=PUBLIC, events=["order.shipped"], secret="x" * 20, is_active=False
    )

    listed = manager_api.get(URL, {"is_active": "true"}).json()["results"]

    assert [w["id"] for w in listed] == [on.pk]
    assert_error(manager_api.get(URL, {"is_active": "maybe"}), 400, attr="is_active")


def test_a_create_retried_with_its_idempotency_key_makes_one_webhook(manager_api):
    body = {"url": PUBLIC, "events": ["order.shipped"]}
    first = manager_api.post(URL, body, HTTP_IDEMPOTENCY_KEY="hook-1")
    again = manager_api.post(URL, body, HTTP_IDEMPOTENCY_KEY="hook-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same secret, shown to the retry
    assert Webhook.objects.count() == 1
