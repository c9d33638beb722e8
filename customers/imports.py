"""Importing clients from a CSV file, all or nothing, keyed by e-mail.

Every row is checked by the API's client serializer before anything is
written. Rows are written in bulk as ``services.client_create`` and
``client_update`` write one client: the e-mail normalised, the phone and
address encrypted by their fields, the phone's digest beside it.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from store_project.csv_import import (
    ImportResult,
    api_values,
    duplicate_keys,
    read_csv,
    validate_row,
)
from store_project.db.errors import unique_violations_as_invalid_input
from store_project.db.updates import Change, rows_update
from store_project.exceptions import RowsRefused

from .models import Client
from .selectors import phone_digest
from .serializers import ClientSerializer
from .services import (
    _CLIENT_UNIQUE,
    CLIENT_EDITABLE_FIELDS,
    CLIENT_PERSONAL_FIELDS,
    normalize_email,
)

COLUMNS = ("email", "name", "phone", "address")
# Who may import: it creates and changes clients.
PERMISSIONS = ["customers.add_client", "customers.change_client"]
# Rows per statement: PostgreSQL takes at most 65,535 parameters in one.
_BATCH_SIZE = 2000


@transaction.atomic
def clients_import(
    *, data: bytes, dry_run: bool = False, by: AbstractBaseUser | None = None
) -> ImportResult:
    """Create or update a client for each row of the CSV file ``data``.

    A row whose e-mail (ignoring case) a client has updates it (an empty
    cell leaves the field as it is); any other row creates one. Any problem
    refuses the whole file (``RowsRefused``), and nothing is written;
    ``dry_run`` checks and counts only.
    """
    rows = read_csv(data, columns=COLUMNS, required="email")
    problems = duplicate_keys(rows, column="email", key=normalize_email)
    keys = {normalize_email(row.cells["email"]) for row in rows if "email" in row.cells}
    # Locked in id order against a concurrent edit or anonymization.
    existing = {
        client.email: client
        for client in Client.objects.filter(email__in=keys)
        .order_by("pk")
        .select_for_update(no_key=True)
    }
    new_row = ClientSerializer()
    changed_row = ClientSerializer(partial=True)
    creates, updates = [], []
    for row in rows:
        client = existing.get(normalize_email(row.cells.get("email", "")))
        serializer = changed_row if client else new_row
        values = validate_row(serializer, row, api_values(row), problems)
        if values is None:
            continue
        if client is None:
            creates.append(values)
        elif client.is_anonymized:
            problems.append(
                (
                    row.attr("email"),
                    "anonymized",
                    f"Client #{client.pk} was anonymized and can no longer be changed.",
                )
            )
        else:
            values.pop("email")  # the key, stored normalised already
            updates.append((client, _changes(client, values)))
    if problems:
        raise RowsRefused(problems)
    changed = [(client, changes) for client, changes in updates if changes]
    if dry_run:
        return ImportResult(
            created=len(creates),
            updated=len(changed),
            unchanged=len(updates) - len(changed),
            dry_run=True,
        )

    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        created = Client.objects.bulk_create(
            [_new_client(values) for values in creates], batch_size=_BATCH_SIZE
        )
    _write_changes(changed)
    audit.record_many(
        [
            *(("create", c, audit.created(c, CLIENT_EDITABLE_FIELDS)) for c in created),
            *(("update", client, changes) for client, changes in changed),
        ],
        personal=CLIENT_PERSONAL_FIELDS,
        by=by,
    )
    return ImportResult(
        created=len(created),
        updated=len(changed),
        unchanged=len(updates) - len(changed),
        dry_run=False,
    )


def _new_client(values: dict) -> Client:
    phone = values.get("phone", "")
    return Client(
        name=values["name"],
        email=normalize_email(values["email"]),
        phone=phone,
        phone_digest=phone_digest(phone),
        address=values.get("address", ""),
    )


def _changes(client: Client, values: dict) -> dict[str, Change]:
    return {
        name: Change(getattr(client, name), value)
        for name, value in values.items()
        if getattr(client, name) != value
    }


def _write_changes(changed: list[tuple[Client, dict[str, Change]]]) -> None:
    if not changed:
        return
    now = timezone.now()
    fields = {"updated_at"}
    for client, changes in changed:
        for name, change in changes.items():
            setattr(client, name, change.after)
        if "phone" in changes:
            client.phone_digest = phone_digest(client.phone)
            fields.add("phone_digest")
        client.updated_at = now
        fields.update(changes)
    # Each field prepares its value as save() does: the phone and address
    # are encrypted.
    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        rows_update(instances=[client for client, _ in changed], fields=sorted(fields))
