"""What other apps hold about a client, for export, anonymization and retention.

Orders (and later returns) refer to clients, but ``customers`` must not
import the apps that hold them: dependencies point the other way. Each such
app registers a ``ClientDataSource`` when it is ready (``sales.apps``), and
the privacy services of this app ask every registered source. A source
answers for its own tables only.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

#: The sections of an export besides ``client``, in the contract's order;
#: one that no source fills is an empty list.
EXPORT_SECTIONS = ("orders", "returns")


@dataclass(frozen=True)
class ClientDataSource:
    name: str
    #: ``export(client_id)``: the source's sections, ``{"orders": [...]}``.
    export: Callable[[int], dict[str, list]]
    #: ``blockers(client_id)``: ``(code, message)`` for each record that must
    #: be closed before the client can be anonymized (read under the client's
    #: lock, so no new one can appear meanwhile).
    blockers: Callable[[int], list[tuple[str, str]]]
    #: ``exclude_active(clients, cutoff)``: ``clients`` without those that
    #: have an open record, or one newer than ``cutoff``.
    exclude_active: Callable[[QuerySet, datetime.datetime], QuerySet]


_SOURCES: dict[str, ClientDataSource] = {}


def register(source: ClientDataSource) -> None:
    _SOURCES[source.name] = source


def sources() -> list[ClientDataSource]:
    return list(_SOURCES.values())
