"""Database helpers shared by the apps' services."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from store_project.api.exceptions import InvalidInput


@contextmanager
def unique_violations_as_invalid_input(
    constraints: dict[str, tuple[str, str]],
) -> Iterator[None]:
    """Turn a unique-constraint violation into ``InvalidInput`` on its field.

    ``constraints`` maps a constraint name to ``(field, message)``. The block
    runs in a savepoint so the surrounding transaction stays usable. Checking
    first and inserting after would race; the database decides instead.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        text = str(exc)
        for name, (field, message) in constraints.items():
            if name in text:
                raise InvalidInput(message, code="unique", field=field) from exc
        raise
