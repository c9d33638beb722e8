"""Fields encrypted by the application, and keyed digests to find them by.

A dump or a backup of the database holds only ciphertext for these fields:
Fernet tokens (AES-128-CBC with an HMAC-SHA256 over the token, so a token
altered or made with another key is refused rather than decrypted to
garbage). The keys are ``settings.FIELD_ENCRYPTION_KEYS``: the first
encrypts, every one decrypts (``MultiFernet``), so a key is rotated by
putting the new one first and re-encrypting the rows.

A field encrypted with a random IV cannot be compared in SQL; a value that
must be found whole gets a *blind index* beside it, an HMAC of the
normalised value under a key derived from the encryption key, which says
nothing about the value without that key.
"""

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from store_project.exceptions import ApplicationError


class UndecryptableValue(ApplicationError):
    """A stored value that none of the configured keys decrypts.

    The message names the row and the field, never the ciphertext.
    """

    status_code = 500
    default_code = "undecryptable"


class _Undecryptable:
    """What a field holds when its column did not decrypt (read raises)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<undecryptable>"


UNDECRYPTABLE = _Undecryptable()


@functools.cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is empty; no field can be encrypted.")
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    """The configured keys (read on each call, so a test may override them)."""
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return cipher().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The text of ``token``; ``InvalidToken`` if no configured key made it."""
    return cipher().decrypt(token.encode("ascii")).decode()


def decrypts_with_first_key(token: str) -> bool:
    """Whether ``token`` is already under the key that encrypts now."""
    first = settings.FIELD_ENCRYPTION_KEYS[0]
    try:
        _cipher((first,)).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """``token``'s text encrypted again with the first key."""
    return cipher().rotate(token.encode("ascii")).decode("ascii")


def is_token(text: str) -> bool:
    """Whether ``text`` is a token one of the configured keys made."""
    try:
        decrypt(text)
    except (InvalidToken, UnicodeError):
        return False
    return True


@functools.cache
def _index_key(key: str, purpose: str) -> bytes:
    # Its own key per purpose, so the index never reuses the encryption key.
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"store blind index: {purpose}".encode(),
    ).derive(base64.urlsafe_b64decode(key))


def blind_index(normalised: str, *, purpose: str, key: str | None = None) -> str:
    """The hex HMAC-SHA256 of ``normalised`` under the first key (or ``key``)."""
    key = key or settings.FIELD_ENCRYPTION_KEYS[0]
    digest = hmac.new(_index_key(key, purpose), normalised.encode(), hashlib.sha256)
    return digest.hexdigest()


def blind_indexes(normalised: str, *, purpose: str) -> list[str]:
    """``normalised``'s index under every configured key.

    A search matches rows indexed under any of them, so it keeps finding the
    rows that ``reencrypt_pii`` has not yet moved to the first key.
    """
    return [
        blind_index(normalised, purpose=purpose, key=key)
        for key in settings.FIELD_ENCRYPTION_KEYS
    ]


class _DecryptedAttribute(DeferredAttribute):
    """Reads the decrypted value; a value that did not decrypt raises here,
    where the row's id is known, instead of in the middle of a query."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if value is UNDECRYPTABLE:
            opts = self.field.model._meta
            raise UndecryptableValue(
                f"The stored {self.field.name} of {opts.verbose_name} "
                f"#{instance.pk} does not decrypt with any key of "
                "FIELD_ENCRYPTION_KEYS; restore the key that encrypted it."
            )
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Text encrypted in the database, plain text in Python.

    An empty value is stored empty, so "has none" stays visible to
    constraints; anything else is stored as a Fernet token. ``max_length``
    limits the plain text (validation only); the column is ``text``.
    Lookups other than ``=''`` cannot work on ciphertext: find rows by a
    blind index instead.
    """

    descriptor_class = _DecryptedAttribute

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except (InvalidToken, UnicodeError):
            return UNDECRYPTABLE

    def db_type(self, connection):
        return "text"  # a token is longer than max_length, which is for the text
