"""Clients: their writes, and the privacy rules (export, anonymization,
retention, re-encryption) that apply to them."""

import datetime
import logging
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from audit import services as audit
from store_project.db.encryption import UNDECRYPTABLE, decrypt, decrypts_with_first_key
from store_project.db.errors import (
    delete_or_refuse,
    row_lock_timeout,
    unique_violations_as_invalid_input,
)
from store_project.db.updates import model_update
from store_project.exceptions import ApplicationError

from . import privacy
from .exceptions import (
    AnonymizedClientRefused,
    ClientAnonymized,
    ClientHasOpenRecords,
    ClientStillActive,
)
from .models import ANONYMIZED_EMAIL_DOMAIN, ANONYMIZED_NAME, Client
from .selectors import clients_due_for_retention, phone_digest

# Never with a client's name, e-mail, phone or address: ids and counts only.
logger = logging.getLogger("customers.privacy")

_CLIENT_UNIQUE = {
    "customers_client_email_ci_unique": (
        "email",
        "A client with this email already exists (emails ignore case).",
    )
}
CLIENT_EDITABLE_FIELDS = ("name", "email", "phone", "address")
# Personal information: the audit log names these fields, never their values.
CLIENT_PERSONAL_FIELDS = ("name", "email", "phone", "address")


def normalize_email(email: str) -> str:
    return email.strip().lower()


@transaction.atomic
def client_create(
    *, name: str, email: str, phone: str = "", address: str = ""
) -> Client:
    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        client = Client.objects.create(
            name=name,
            email=normalize_email(email),
            phone=phone,
            phone_digest=phone_digest(phone),
            address=address,
        )
    audit.record_create(client, CLIENT_EDITABLE_FIELDS, personal=CLIENT_PERSONAL_FIELDS)
    return client


@transaction.atomic
def client_update(*, client: Client, **changes) -> Client:
    """Change a client's fields; an anonymized client is refused (409)."""
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
    fields = CLIENT_EDITABLE_FIELDS
    if "phone" in changes:
        changes["phone_digest"] = phone_digest(changes["phone"])
        fields = (*fields, "phone_digest")
    # Locked against an anonymization running at the same time, which would
    # otherwise be undone by this write.
    with row_lock_timeout(f"Client #{client.pk}"):
        anonymized_at = (
            Client.objects.select_for_update(no_key=True)
            .values_list("anonymized_at", flat=True)
            .get(pk=client.pk)
        )
    if anonymized_at is not None:
        raise ClientAnonymized(
            f"Client #{client.pk} was anonymized and can no longer be changed."
        )
    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        changed = model_update(instance=client, fields=fields, data=changes)
    # Derived from the phone, whose change is recorded (by name only).
    changed.pop("phone_digest", None)
    audit.record_update(client, changed, personal=CLIENT_PERSONAL_FIELDS)
    return client


@transaction.atomic
def client_delete(*, client: Client) -> None:
    audit.record_delete(client, CLIENT_EDITABLE_FIELDS, personal=CLIENT_PERSONAL_FIELDS)
    delete_or_refuse(
        client,
        f"Client {client.name!r} has orders and cannot be deleted; their "
        "order history must be kept.",
    )


# A KEY SHARE lock: what inserting a row that refers to the client takes
# anyway, so it waits only for an anonymization (FOR UPDATE), never for
# other orders or edits. Django's select_for_update cannot ask for it.
_HOLD_FOR_RECORD = (
    f"SELECT anonymized_at FROM {Client._meta.db_table} WHERE id = %s FOR KEY SHARE"
)


def client_hold_for_record(*, client: Client, field: str = "client") -> None:
    """Keep the client as it is until the caller's transaction ends, and refuse
    an anonymized one (400 on ``field``).

    Apps call it before writing a record (an order) for the client, in the
    same transaction: an anonymization waits for that record and then sees
    it, or the record waits for the anonymization and is refused here.
    """
    with row_lock_timeout(f"Client #{client.pk}"), connection.cursor() as cursor:
        cursor.execute(_HOLD_FOR_RECORD, [client.pk])
        held = cursor.fetchone()
    if held is None:
        raise AnonymizedClientRefused(
            f"Client #{client.pk} does not exist.", code="does_not_exist", field=field
        )
    if held[0] is not None:
        raise AnonymizedClientRefused(
            f"Client #{client.pk} was anonymized; it can take no new orders.",
            field=field,
        )


# --- Privacy ---------------------------------------------------------------------


def _actor(by: AbstractBaseUser | None) -> str:
    return by.get_username() if by is not None else "the retention rule"


@transaction.atomic
def client_export(*, client: Client, by: AbstractBaseUser | None = None) -> dict:
    """Everything the store holds about a client: ``{client, orders, returns,
    exported_at}``, each section as the apps holding those records
    (``customers.privacy``) show them in their API; read in one transaction.
    """
    answer: dict = {"client": client}
    answer.update((section, []) for section in privacy.EXPORT_SECTIONS)
    for source in privacy.sources():
        answer.update(source.export(client.pk))
    answer["exported_at"] = timezone.now()
    audit.record(action="export", instance=client, by=by)
    logger.info("Client #%s exported by %s", client.pk, _actor(by))
    return answer


@transaction.atomic
def client_anonymize(
    *,
    client_id: int,
    by: AbstractBaseUser | None = None,
    inactive_since: datetime.datetime | None = None,
) -> Client:
    """Erase what names the client, keeping its orders and their amounts.

    Refused (409) when already anonymized or while another app still holds
    an open record of it (an order being fulfilled). ``inactive_since``
    (the retention rule) also refuses a client active since then.
    """
    # FOR UPDATE, not NO KEY UPDATE: it conflicts with the KEY SHARE lock of
    # client_hold_for_record, so no order is written for this client until
    # the anonymization commits (and is then refused), and the check below
    # sees every order already written.
    with row_lock_timeout(f"Client #{client_id}"):
        client = (
            Client.objects.select_for_update()
            .only("pk", "anonymized_at", "created_at")
            .get(pk=client_id)
        )
    if client.anonymized_at is not None:
        raise ClientAnonymized(f"Client #{client_id} is already anonymized.")
    blockers = [error for s in privacy.sources() for error in s.blockers(client_id)]
    if blockers:
        raise ClientHasOpenRecords(errors=blockers)
    if (
        inactive_since is not None
        and not clients_due_for_retention(cutoff=inactive_since)
        .filter(pk=client_id)
        .exists()
    ):
        raise ClientStillActive(f"Client #{client_id} was active since the cutoff.")
    now = timezone.now()
    # Written without reading the old values: a row whose data no longer
    # decrypts can still be erased.
    Client.objects.filter(pk=client_id).update(
        name=ANONYMIZED_NAME,
        email=f"anonymized-{client_id}@{ANONYMIZED_EMAIL_DOMAIN}",
        phone="",
        phone_digest="",
        address="",
        anonymized_at=now,
        updated_at=now,
    )
    # The admin's history named the client as it was ("Ann <ann@...>").
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Client),
        object_id=str(client_id),
    ).update(object_repr=f"{ANONYMIZED_NAME} #{client_id}")
    anonymized = Client.objects.get(pk=client_id)
    audit.record(
        action="anonymize",
        instance=anonymized,
        changes=dict.fromkeys(CLIENT_PERSONAL_FIELDS, (None, None)),
        personal=CLIENT_PERSONAL_FIELDS,
        by=by,
    )
    logger.info("Client #%s anonymized by %s", client_id, _actor(by))
    return anonymized


@dataclass
class RetentionResult:
    cutoff: datetime.datetime
    due: int = 0
    anonymized: int = 0
    skipped: int = 0


def clients_enforce_retention(
    *, inactive_days: int, dry_run: bool = False, batch_size: int = 200
) -> RetentionResult:
    """Anonymize every client inactive for ``inactive_days`` (see
    ``clients_due_for_retention``), ``batch_size`` clients per transaction.

    Short transactions: a large store is never locked for the whole run, and
    a run stopped midway keeps what it did. Anonymized clients are no longer
    due, so a second run does nothing. A client that became active (or got
    an open order) meanwhile is skipped.
    """
    result = RetentionResult(
        cutoff=timezone.now() - datetime.timedelta(days=inactive_days)
    )
    due = clients_due_for_retention(cutoff=result.cutoff)
    if dry_run:
        result.due = due.count()
        return result
    last = 0
    while ids := list(
        due.filter(pk__gt=last).values_list("pk", flat=True)[:batch_size]
    ):
        with transaction.atomic():
            for client_id in ids:
                try:
                    client_anonymize(client_id=client_id, inactive_since=result.cutoff)
                except (ApplicationError, Client.DoesNotExist):
                    result.skipped += 1
                else:
                    result.anonymized += 1
        result.due += len(ids)
        last = ids[-1]
    logger.info(
        "Retention: %s clients anonymized, %s skipped",
        result.anonymized,
        result.skipped,
    )
    return result


@dataclass
class ReencryptResult:
    checked: int = 0
    reencrypted: int = 0
    undecryptable: list[int] = field(default_factory=list)


def clients_reencrypt(*, batch_size: int = 500) -> ReencryptResult:
    """Encrypt every client's phone and address again with the first key.

    Rows already under the first key are left alone, so it can be run again
    (or resumed after a stop) at no cost; each batch commits on its own.
    Rows that no key decrypts are counted, left as they are, and named.
    """
    result = ReencryptResult()
    last = 0
    while True:
        with transaction.atomic():
            # The stored tokens (a Cast to plain text skips the decryption).
            rows = list(
                Client.objects.select_for_update(no_key=True)
                .filter(pk__gt=last)
                .exclude(phone="", address="")
                .order_by("pk")
                .values_list(
                    "pk",
                    Cast("phone", TextField()),
                    Cast("address", TextField()),
                )[:batch_size]
            )
            if not rows:
                return result
            changed = []
            for pk, phone, address in rows:
                result.checked += 1
                tokens = [t for t in (phone, address) if t]
                if all(decrypts_with_first_key(t) for t in tokens):
                    continue
                plain = [_opened(t) for t in (phone, address)]
                if UNDECRYPTABLE in plain:
                    result.undecryptable.append(pk)
                    continue
                changed.append(
                    Client(
                        pk=pk,
                        phone=plain[0],
                        address=plain[1],
                        phone_digest=phone_digest(plain[0]),
                    )
                )
            # Saving the plain text encrypts it with the first key.
            Client.objects.bulk_update(changed, ["phone", "address", "phone_digest"])
            result.reencrypted += len(changed)
            last = rows[-1][0]


def _opened(token: str) -> str:
    if not token:
        return ""
    try:
        return decrypt(token)
    except (InvalidToken, UnicodeError):  # another key's, or not a token
        return UNDECRYPTABLE
