from django.db import transaction

from audit import services as audit
from store_project.db.errors import delete_or_refuse, unique_violations_as_invalid_input
from store_project.db.updates import model_update

from .models import Client

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
            name=name, email=normalize_email(email), phone=phone, address=address
        )
    audit.record_create(client, CLIENT_EDITABLE_FIELDS, personal=CLIENT_PERSONAL_FIELDS)
    return client


@transaction.atomic
def client_update(*, client: Client, **changes) -> Client:
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        changed = model_update(
            instance=client, fields=CLIENT_EDITABLE_FIELDS, data=changes
        )
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
