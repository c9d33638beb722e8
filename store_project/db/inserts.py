"""Rows for hand-written INSERT statements, written as ``save()`` writes them."""

from typing import NamedTuple

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import DatabaseDefault


class InsertRow(NamedTuple):
    fields: list[Field]
    placeholders: list[str]  # "%s", or "DEFAULT" for a db_default left unset
    values: list  # one per "%s"

    @property
    def columns(self) -> str:
        return ", ".join(connection.ops.quote_name(f.column) for f in self.fields)

    @property
    def defaulted(self) -> list[Field]:
        return [
            field
            for field, placeholder in zip(self.fields, self.placeholders, strict=True)
            if placeholder == "DEFAULT"
        ]


def insert_row(instance: Model) -> InsertRow:
    """``instance``'s columns for an INSERT, their placeholders and values.

    As ``save()`` prepares them: every concrete field but the primary key,
    each through its ``pre_save`` (an ``auto_now`` stamp is set on the
    instance) and ``get_db_prep_save`` (an encrypted field encrypts). A
    ``db_default`` left unset is written as ``DEFAULT``; whoever needs its
    value reads it back (``RETURNING``). The fields are the same for every
    instance of a model, so rows of one model can share one ``VALUES``.
    """
    fields, placeholders, values = [], [], []
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            continue
        fields.append(field)
        value = field.pre_save(instance, add=True)
        if isinstance(value, DatabaseDefault):
            placeholders.append("DEFAULT")
        else:
            placeholders.append("%s")
            values.append(field.get_db_prep_save(value, connection))
    return InsertRow(fields, placeholders, values)
