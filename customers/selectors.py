"""Reads of clients: search, and who falls under the retention rule."""

import datetime
import operator
from functools import reduce

from django.db.models import Q, QuerySet

from store_project.db.encryption import blind_index, blind_indexes

from . import privacy
from .models import Client

_PHONE_INDEX = "client phone"
# Searched as text; a phone is encrypted and found whole through its digest.
CLIENT_TEXT_SEARCH_FIELDS = ("name", "email")


def phone_digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def phone_digest(phone: str) -> str:
    """The blind index of a phone's digits under the first key ('' if none)."""
    digits = phone_digits(phone)
    return blind_index(digits, purpose=_PHONE_INDEX) if digits else ""


def client_search(queryset: QuerySet[Client], terms: list[str]) -> QuerySet[Client]:
    """Clients whose name or e-mail holds every term, or whose phone is the text.

    The terms are the search text split as DRF's and the admin's search
    split it; a phone matches only whole, its digits compared with the
    digits of the whole text (so ``514 555 0199`` finds ``(514) 555-0199``).
    """
    if not terms:
        return queryset
    text_match = reduce(
        operator.and_,
        (
            reduce(
                operator.or_,
                (
                    Q(**{f"{field}__icontains": term})
                    for field in CLIENT_TEXT_SEARCH_FIELDS
                ),
            )
            for term in terms
        ),
    )
    digits = phone_digits("".join(terms))
    if digits:
        text_match |= Q(phone_digest__in=blind_indexes(digits, purpose=_PHONE_INDEX))
    return queryset.filter(text_match)


def clients_due_for_retention(*, cutoff: datetime.datetime) -> QuerySet[Client]:
    """Clients to anonymize: not yet anonymized, and inactive since ``cutoff``.

    A client is active while it was created, or any app holds a record of it
    (an order, say) that is open or younger than ``cutoff``; the apps that
    hold such records say so through ``customers.privacy``.
    """
    clients = Client.objects.filter(anonymized_at__isnull=True, created_at__lt=cutoff)
    for source in privacy.sources():
        clients = source.exclude_active(clients, cutoff)
    return clients.order_by("pk")
