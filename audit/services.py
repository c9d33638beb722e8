"""Writing the audit log: services call these in the transaction of their change.

An entry is one ``INSERT`` in the caller's transaction, so a refused or
rolled-back change leaves none, and the API and the admin record alike
because both go through the services. Nothing here calls another app.
"""

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from store_project.current import current_request
from store_project.logging import request_id_var

from .models import AuditEntry, ObjectType

#: What a personal field's values become: the entry says the field changed.
REDACTED = "[redacted]"


def values_of(instance: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The fields' values as stored (a foreign key's id, no query)."""
    opts = instance._meta
    return {name: opts.get_field(name).value_from_object(instance) for name in fields}


def record(
    *,
    action: str,
    instance: Model,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    personal: Collection[str] = (),
    by=None,
) -> AuditEntry:
    """Record ``action`` on ``instance`` with ``{field: (old, new)}``.

    ``by`` is the acting user; by default, the user of the request being
    served (none in a management command). Values of ``personal`` fields are
    replaced by ``REDACTED``.
    """
    return AuditEntry.objects.create(**_entry(action, instance, changes, personal, by))


def record_create(
    instance: Model,
    fields: Iterable[str],
    *,
    also: Mapping[str, Any] | None = None,
    personal: Collection[str] = (),
    by=None,
) -> AuditEntry:
    """A new object: each written field, and each of ``also`` (what is not a
    field of its row: its locations, its lines), as ``[None, value]``."""
    return record(
        action="create",
        instance=instance,
        changes=created(instance, fields, also=also),
        personal=personal,
        by=by,
    )


def created(
    instance: Model, fields: Iterable[str], *, also: Mapping[str, Any] | None = None
) -> dict[str, tuple[None, Any]]:
    """What ``record_create`` records of a new object, for ``record_many``."""
    values = {**values_of(instance, fields), **(also or {})}
    return {name: (None, value) for name, value in values.items()}


# Every entry of a bulk write in one statement, whatever their number: one
# array per column. ORM equivalent: ``AuditEntry.objects.bulk_create(...)``,
# which must be cut into batches below PostgreSQL's 65,535 parameters per
# statement (server-side binding), a round trip per batch.
_INSERT_MANY = f"""
    INSERT INTO {AuditEntry._meta.db_table}
        (at, actor, action, object_type, object_id, changes, request_id)
    SELECT %(at)s, %(actor)s, e.action, e.object_type, e.object_id, e.changes,
        %(request_id)s
    FROM unnest(
        %(actions)s::text[], %(types)s::text[], %(ids)s::bigint[],
        %(changes)s::text[]::jsonb[]
    ) WITH ORDINALITY AS e (action, object_type, object_id, changes, place)
    ORDER BY e.place
"""


def record_many(
    entries: Iterable[tuple[str, Model, Mapping[str, tuple[Any, Any]]]],
    *,
    personal: Collection[str] = (),
    by=None,
) -> int:
    """Record many ``(action, instance, changes)`` by one actor in one
    ``INSERT`` (a bulk write: an import); an update without changes records
    nothing. Answers how many entries were written."""
    rows = [
        _entry(action, instance, changes, personal, by)
        for action, instance, changes in entries
        if changes or action != "update"
    ]
    if not rows:
        return 0
    encoder = AuditEntry._meta.get_field("changes").encoder
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_MANY,
            {
                "at": timezone.now(),
                "actor": rows[0]["actor"],
                "request_id": rows[0]["request_id"],
                "actions": [row["action"] for row in rows],
                "types": [str(row["object_type"]) for row in rows],
                "ids": [row["object_id"] for row in rows],
                "changes": [json.dumps(row["changes"], cls=encoder) for row in rows],
            },
        )
    return len(rows)


def record_update(
    instance: Model,
    changes: Mapping[str, tuple[Any, Any]],
    *,
    personal: Collection[str] = (),
    by=None,
) -> AuditEntry | None:
    """The fields that changed (``model_update``'s answer); none, no entry."""
    if not changes:
        return None
    return record(
        action="update", instance=instance, changes=changes, personal=personal, by=by
    )


def record_delete(
    instance: Model,
    fields: Iterable[str],
    *,
    also: Mapping[str, Any] | None = None,
    personal: Collection[str] = (),
    by=None,
) -> AuditEntry:
    """An object about to be deleted: its last values (fields and ``also``,
    as for ``record_create``) as ``[value, None]``.

    Call it before the delete, in the same transaction: the entry needs the
    object's id, and a refused delete rolls the entry back with it.
    """
    values = {**values_of(instance, fields), **(also or {})}
    changes = {name: (value, None) for name, value in values.items()}
    return record(
        action="delete", instance=instance, changes=changes, personal=personal, by=by
    )


def _entry(action, instance, changes, personal, by) -> dict[str, Any]:
    object_type = ObjectType(instance._meta.model_name)  # ValueError: not audited
    request_id = request_id_var.get()
    return {
        "actor": _actor(by),
        "action": action,
        "object_type": object_type,
        "object_id": instance.pk,
        "changes": {
            name: [REDACTED, REDACTED] if name in personal else [old, new]
            for name, (old, new) in (changes or {}).items()
        },
        "request_id": "" if request_id == "-" else request_id,
    }


def _actor(by) -> str | None:
    if by is None:
        request = current_request.get()
        by = getattr(request, "user", None)
    if by is None or not by.is_authenticated:
        return None
    return by.get_username()
