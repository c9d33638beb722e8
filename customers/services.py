from store_project.db.errors import delete_or_refuse, unique_violations_as_invalid_input

from .models import Client

_CLIENT_UNIQUE = {
    "customers_client_email_ci_unique": (
        "email",
        "A client with this email already exists (emails ignore case).",
    )
}


def normalize_email(email: str) -> str:
    return email.strip().lower()


def client_create(
    *, name: str, email: str, phone: str = "", address: str = ""
) -> Client:
    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        return Client.objects.create(
            name=name, email=normalize_email(email), phone=phone, address=address
        )


def client_update(*, client: Client, **changes) -> Client:
    if "email" in changes:
        changes["email"] = normalize_email(changes["email"])
    for field, value in changes.items():
        setattr(client, field, value)
    with unique_violations_as_invalid_input(_CLIENT_UNIQUE):
        client.save(update_fields=[*changes, "updated_at"])
    return client


def client_delete(*, client: Client) -> None:
    delete_or_refuse(
        client,
        f"Client {client.name!r} has orders and cannot be deleted; their "
        "order history must be kept.",
    )
