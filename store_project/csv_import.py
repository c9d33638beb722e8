"""Reading an imported CSV file into rows, and naming each problem of it.

The import services of the apps (``inventory.imports``, ``customers.imports``)
read their file here, then validate each row through the API's own
serializer (``validate_row``), so a row is held to the same rules as the
same object sent as JSON. Every problem is collected before anything is
written, and the whole file is refused with all of them (``RowsRefused``):
``attr`` is ``"row N: column"``, N counting data rows from 1.
"""

import csv
import io
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from store_project.exceptions import RowsRefused

MAX_ROWS = 10_000
# A file of MAX_ROWS rows with long descriptions stays far below this; a body
# above it is refused before it is read into memory whole.
MAX_BYTES = 32 * 1024 * 1024
FILE = "file"

# How a spreadsheet writes a boolean cell; anything else is left as text, for
# the serializer to refuse as it refuses it in JSON.
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    dry_run: bool


@dataclass(frozen=True)
class Row:
    """One data row: its number (from 1) and its non-empty cells by column."""

    number: int
    cells: dict[str, str]

    def attr(self, column: str) -> str:
        return f"row {self.number}: {column}"


def refuse_file(code: str, message: str) -> RowsRefused:
    return RowsRefused([(FILE, code, message)])


def read_csv(data: bytes, *, columns: Collection[str], required: str) -> list[Row]:
    """The file's data rows, each holding only its non-empty cells.

    UTF-8, a leading BOM ignored, a header row naming only ``columns``
    (``required`` among them, the key), at most ``MAX_ROWS`` data rows;
    fields may be quoted and hold newlines. Anything else refuses the file.
    Blank lines are skipped; a cell of spaces is empty.
    """
    if len(data) > MAX_BYTES:
        raise refuse_file(
            "too_large", f"The file is larger than {MAX_BYTES // 2**20} MB."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse_file(
            "not_utf8",
            f"The file is not UTF-8 text (byte {exc.start + 1} is not UTF-8); "
            "save it as CSV UTF-8.",
        ) from None
    if "\x00" in text:  # binary data; PostgreSQL cannot store it either
        raise refuse_file("not_csv", "The file is not CSV text (it holds NUL bytes).")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise refuse_file(
                "empty",
                f"The file is empty; its first row names the columns: "
                f"{', '.join(columns)}.",
            )
        names = _checked_header(header, columns, required)
        rows: list[Row] = []
        problems = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise refuse_file(
                    "too_many_rows", f"The file has more than {MAX_ROWS:,} rows."
                )
            number = len(rows) + 1
            # A spreadsheet may drop a row's trailing empty cells: they are
            # empty. Cells beyond the header's columns have no column.
            if any(cell.strip() for cell in cells[len(names) :]):
                problems.append(
                    (
                        f"row {number}",
                        "too_many_cells",
                        f"The row has {len(cells)} cells; the header names "
                        f"{len(names)} columns.",
                    )
                )
            values = {n: c for n, c in zip(names, cells, strict=False) if c.strip()}
            rows.append(Row(number, values))
    except csv.Error as exc:
        raise refuse_file(
            "not_csv", f"The file is not valid CSV (line {reader.line_num}: {exc})."
        ) from None
    if problems:
        raise RowsRefused(problems)
    return rows


def _checked_header(header: list[str], columns: Collection[str], required: str):
    names = [name.strip().lower() for name in header]
    problems = []
    for name in dict.fromkeys(names):
        if name not in columns:
            shown = repr(name) if name else "(empty)"
            problems.append(
                (
                    FILE,
                    "unknown_column",
                    f"Unknown column {shown}; the columns are: {', '.join(columns)}.",
                )
            )
        elif names.count(name) > 1:
            problems.append(
                (FILE, "duplicate_column", f"The column {name!r} appears twice.")
            )
    if required not in names:
        problems.append(
            (
                FILE,
                "missing_key_column",
                f"The {required!r} column is required (the key).",
            )
        )
    if problems:
        raise RowsRefused(problems)
    return names


def duplicate_keys(
    rows: Iterable[Row], *, column: str, key: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """A problem for each row whose key an earlier row has, naming both rows."""
    first: dict[str, int] = {}
    problems = []
    for row in rows:
        value = row.cells.get(column)
        if value is None:
            continue
        seen = first.setdefault(key(value), row.number)
        if seen != row.number:
            problems.append(
                (
                    row.attr(column),
                    "duplicate_key",
                    f"{column} {value.strip()!r} is on rows {seen} and {row.number}; "
                    "each may appear once in a file.",
                )
            )
    return problems


def api_values(row: Row, *, booleans: Collection[str] = ()) -> dict[str, Any]:
    """The row as the JSON body the API's serializer takes: text, and the
    boolean columns as booleans when they are written as one."""
    values: dict[str, Any] = dict(row.cells)
    for column in booleans:
        text = values.get(column, "").strip().lower()
        if text in _TRUE:
            values[column] = True
        elif text in _FALSE:
            values[column] = False
    return values


def validate_row(
    serializer: serializers.Serializer,
    row: Row,
    values: Mapping[str, Any],
    problems: list[tuple[str, str, str]],
) -> dict[str, Any] | None:
    """``values`` validated by ``serializer`` (one instance serves every row:
    its fields are built once), or None with each problem added."""
    try:
        return serializer.run_validation(values)
    except serializers.ValidationError as exc:
        problems.extend(_flattened(row, exc.detail))
        return None


def _flattened(row: Row, detail, column: str | None = None):
    if isinstance(detail, Mapping):
        for name, inner in detail.items():
            inner_column = None if name == "non_field_errors" else name
            yield from _flattened(row, inner, inner_column or column)
    elif isinstance(detail, list):
        for inner in detail:
            yield from _flattened(row, inner, column)
    else:
        attr = row.attr(column) if column else f"row {row.number}"
        yield (attr, getattr(detail, "code", "invalid"), str(detail))
