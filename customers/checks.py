"""A deploy-time check: the configured keys decrypt the clients' stored data.

Registered with the ``database`` tag, so it runs where Django runs database
checks: ``manage.py migrate`` (the deploy's first step, before any new task
serves) and ``manage.py check --database default``. A key that is well formed
but not the one that encrypted the data then stops the deploy with one clear
message, instead of every client page failing later.
"""

from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connections

from store_project.db.encryption import is_token

from .models import Client

# The newest and the oldest client holding encrypted data: the first key
# must decrypt the one, a key dropped too early would fail the other.
_SAMPLE = f"""
    (SELECT id, phone, address FROM {Client._meta.db_table}
     WHERE phone <> '' OR address <> '' ORDER BY id DESC LIMIT 1)
    UNION ALL
    (SELECT id, phone, address FROM {Client._meta.db_table}
     WHERE phone <> '' OR address <> '' ORDER BY id LIMIT 1)
"""
# What every Fernet token starts with (its version byte, 0x80, and a
# timestamp's first bytes): a value without it is text the data migration
# has not encrypted yet, not a token made with another key.
_TOKEN_PREFIX = "gAAAAA"


@register(Tags.database)
def stored_client_data_decrypts(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(_SAMPLE)
                rows = cursor.fetchall()
        except DatabaseError:  # no clients table yet: nothing to decrypt
            continue
        for pk, *values in rows:
            if any(
                value.startswith(_TOKEN_PREFIX) and not is_token(value)
                for value in values
                if value
            ):
                errors.append(
                    Error(
                        f"FIELD_ENCRYPTION_KEYS does not decrypt the stored data "
                        f"of client #{pk}: the key that encrypted it is missing.",
                        hint="Put that key back in FIELD_ENCRYPTION_KEYS (after "
                        "the first) and run manage.py reencrypt_pii before "
                        "removing it.",
                        id="customers.E001",
                    )
                )
                break
    return errors
