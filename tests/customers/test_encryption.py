"""Clients' phones and addresses are encrypted at rest, searchable, rotatable."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from customers.models import Client
from tests.factories import ClientFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/clients/"
PHONE = "+1 (514) 555-0199"
ADDRESS = "1234 Rue Sainte-Catherine Ouest\nMontréal QC H3G 1P1"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_rows() -> list[tuple]:
    """The table as a dump shows it: every row as text, straight from SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c::text, phone, address FROM customers_client c")
        return cursor.fetchall()


def search(api, text) -> list[int]:
    return [c["id"] for c in api.get(URL, {"search": text}).json()["results"]]


def test_the_raw_columns_hold_no_plain_phone_or_address(manager_api):
    response = manager_api.post(
        URL,
        {
            "name": "Ann Lee",
            "email": "ann@example.com",
            "phone": PHONE,
            "address": ADDRESS,
        },
    )
    assert response.status_code == 201

    ((row, phone, address),) = raw_rows()
    for secret in (PHONE, "5145550199", "555-0199", "Sainte-Catherine", "H3G 1P1"):
        assert secret not in row
    assert phone.startswith("gAAAAA") and address.startswith("gAAAAA")  # Fernet
    # The API and the ORM see the plain values.
    body = manager_api.get(f"{URL}{response.json()['id']}/").json()
    assert (body["phone"], body["address"]) == (PHONE, ADDRESS)
    assert Client.objects.get().address == ADDRESS


def test_the_same_phone_is_stored_differently_each_time(manager_api):
    ClientFactory(phone=PHONE, address=ADDRESS)
    ClientFactory(phone=PHONE, address=ADDRESS)

    (_, phone_1, address_1), (_, phone_2, address_2) = raw_rows()
    assert phone_1 != phone_2 and address_1 != address_2


def test_an_update_encrypts_the_new_values(manager_api):
    client = ClientFactory(phone="", address="")

    manager_api.patch(f"{URL}{client.pk}/", {"phone": PHONE, "address": ADDRESS})

    ((row, _, _),) = raw_rows()
    assert "0199" not in row and "Catherine" not in row
    assert search(manager_api, "1 514 555 0199") == [client.pk]


def test_empty_values_stay_empty_and_are_not_found_by_phone(manager_api):
    client = ClientFactory(phone="", address="")

    ((_, phone, address),) = raw_rows()
    assert (phone, address) == ("", "")
    assert Client.objects.get(pk=client.pk).phone_digest == ""
    assert search(manager_api, "514 555 0199") == []


@pytest.mark.parametrize(
    "typed", ["5145550199", "514-555-0199", "(514) 555 0199", "514.555.0199"]
)
def test_a_phone_is_found_whole_whatever_its_separators(manager_api, typed):
    ann = ClientFactory(phone="514 555-0199")
    ClientFactory(phone="514 555-0198")

    assert search(manager_api, typed) == [ann.pk]
    assert search(manager_api, "tel: 514 555 0199") == [ann.pk]  # digits compared
    assert search(manager_api, "555-0199") == []
    assert search(manager_api, "15145550199") == []


def test_the_phone_digest_says_nothing_without_the_key():
    ClientFactory(phone="5145550199")

    digest = Client.objects.get().phone_digest
    import hashlib

    assert len(digest) == 64
    assert digest != hashlib.sha256(b"5145550199").hexdigest()
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        from customers.selectors import phone_digest

        assert phone_digest("5145550199") != digest


def test_a_rotated_key_still_decrypts_and_finds_old_rows_until_reencrypted(
    manager_api,
):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        ann = ClientFactory(phone=PHONE, address=ADDRESS)
        bob = ClientFactory(phone="", address="PO Box 12")
        ClientFactory(phone="", address="")
    (_, old_phone, _), *_ = raw_rows()

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert Client.objects.get(pk=ann.pk).address == ADDRESS
        assert search(manager_api, "15145550199") == [ann.pk]

        out = StringIO()
        call_command("reencrypt_pii", "--batch-size", "1", stdout=out)
        assert "Checked 2 clients; re-encrypted 2" in out.getvalue()

        again = StringIO()
        call_command("reencrypt_pii", stdout=again)
        assert "re-encrypted 0" in again.getvalue()  # idempotent

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert Client.objects.get(pk=ann.pk).phone == PHONE
        assert Client.objects.get(pk=bob.pk).address == "PO Box 12"
        assert search(manager_api, "15145550199") == [ann.pk]
    new_phone = next(phone for _, phone, _ in raw_rows() if phone)
    assert new_phone != old_phone
    assert Fernet(NEW_KEY.encode()).decrypt(new_phone.encode()).decode() == PHONE


def test_reencrypt_names_rows_that_no_key_decrypts_and_leaves_them(manager_api):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        lost = ClientFactory(phone=PHONE)
    kept = ClientFactory(phone=PHONE)

    with pytest.raises(CommandError, match=f"#{lost.pk}") as failure:
        call_command("reencrypt_pii", stdout=StringIO())

    assert "gAAAA" not in str(failure.value)
    assert Client.objects.get(pk=kept.pk).phone == PHONE
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        assert Client.objects.get(pk=lost.pk).phone == PHONE


def test_a_row_that_does_not_decrypt_answers_a_clear_error_naming_the_client(
    manager_api,
):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        client = ClientFactory(phone=PHONE, address=ADDRESS)
    ((_, token, _),) = raw_rows()
    manager_api.raise_request_exception = False  # answered as a served 500 is

    response = manager_api.get(f"{URL}{client.pk}/")

    body = assert_error(response, 500, code="undecryptable")
    detail = body["errors"][0]["detail"]
    assert f"client #{client.pk}" in detail
    assert token not in response.content.decode() and "gAAAA" not in detail


def test_the_data_migration_encrypts_rows_stored_in_clear(transactional_db):
    from django.db.migrations.executor import MigrationExecutor

    def migrate(*targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(list(targets))

    migrate(("customers", "0001_initial"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_client (name, email, phone, address, "
                "created_at, updated_at) VALUES ('Ann', 'ann@example.com', %s, %s, "
                "now(), now()), ('Bo', 'bo@example.com', '', '', now(), now())",
                [PHONE, ADDRESS],
            )
        migrate(("customers", "0002_encrypt_phone_address_and_anonymize"))

        rows = raw_rows()
        assert not any(PHONE in row or "Catherine" in row for row, _, _ in rows)
        ann = Client.objects.get(email="ann@example.com")
        assert (ann.phone, ann.address) == (PHONE, ADDRESS)
        assert Client.objects.get(email="bo@example.com").phone == ""
        assert list(Client.objects.filter(phone_digest__gt="")) == [ann]

        migrate(("customers", "0001_initial"))  # and back: plain text again
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone, address FROM customers_client ORDER BY id")
            assert cursor.fetchall() == [(PHONE, ADDRESS), ("", "")]
    finally:
        # Every app to its latest migration: going back in customers also
        # unapplied whatever depends on it, in any app.
        leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
        migrate(*leaves)


def test_a_phone_change_is_audited_by_name_and_its_digest_not_at_all(manager_api):
    from audit.models import AuditEntry

    client = ClientFactory(phone="")

    manager_api.patch(f"{URL}{client.pk}/", {"phone": PHONE})

    entry = AuditEntry.objects.filter(action="update", object_id=client.pk).get()
    assert entry.changes == {"phone": ["[redacted]", "[redacted]"]}


def test_migrate_and_check_refuse_keys_that_do_not_decrypt_the_data():
    from django.core.management.base import SystemCheckError

    ClientFactory(phone=PHONE)
    call_command("check", "--database", "default", stdout=StringIO())

    for keys in ([NEW_KEY], [NEW_KEY, Fernet.generate_key().decode()]):
        with (
            override_settings(FIELD_ENCRYPTION_KEYS=keys),
            pytest.raises(SystemCheckError, match=r"customers\.E001.*client #"),
        ):
            call_command("check", "--database", "default", stdout=StringIO())
    current = settings.FIELD_ENCRYPTION_KEYS[0]
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, current]):
        call_command("check", "--database", "default", stdout=StringIO())


def test_the_check_leaves_text_the_data_migration_has_not_encrypted_yet():
    from django.core.checks import run_checks

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_client (name, email, phone, phone_digest, "
            "address, created_at, updated_at) VALUES ('Ann', 'a@example.com', "
            "'514 555 0199', '', '', now(), now())"
        )

    assert run_checks(databases=["default"], tags=["database"]) == []
