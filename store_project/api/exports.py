"""``?format=csv``: a list or a report as a streamed CSV attachment.

A view offers CSV for some of its actions (``csv_actions``); the content
negotiation below then answers with the JSON renderer whatever the
``Accept`` header, so every error (permissions, filters) stays JSON, and the
view itself returns the CSV as a ``StreamingHttpResponse`` once its input
was checked. Rows come from a generator the view gives (a server-side
cursor, keyset pages): never a whole table in memory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

import orjson
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

FORMAT_PARAM = "format"
CSV = "csv"
CONTENT_TYPE = "text/csv; charset=utf-8"
JSON = "application/json"
# Accept headers (or none) for which DRF's negotiation picks a first renderer
# of JSON, as JSON: what nearly every API client sends.
_ANY_OR_JSON = frozenset({"*/*", JSON})
# Rows read from the database at a time: a few hundred kB of Python objects.
CHUNK = 2000

# A spreadsheet runs a cell that starts with one of these as a formula
# (tab and carriage return too, by some). A plain number (a negative
# quantity) is left as it is: a spreadsheet reads it as the number it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def wants_csv(request) -> bool:
    return request.query_params.get(FORMAT_PARAM) == CSV


def offers_csv(view) -> bool:
    action = getattr(view, "action", None) or view.request.method.lower()
    return action in getattr(view, "csv_actions", ())


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, plus ``?format=csv`` where the view offers it; an unknown
    ``?format=``: 400.

    DRF answers an unknown ``?format=`` with a 404, and ``format=csv`` with
    an ``Accept: application/json`` header with a 406; the contract wants
    400 for the first and the CSV for the second.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if format_suffix:
            # A path's ``.json`` suffix: an unknown one names no resource (404).
            return super().select_renderer(request, renderers, format_suffix)
        requested = None
        # Without a query string (a write, mostly) there is no ?format= to
        # look for in a QueryDict made of nothing.
        if request.META.get("QUERY_STRING"):
            requested = request.query_params.get(FORMAT_PARAM)
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is not None and not _handles(view, request.method):
            # The view answers 405 Method Not Allowed, whatever the format.
            return renderers[0], renderers[0].media_type
        if requested == CSV:
            if view is not None and offers_csv(view):
                # The CSV bypasses rendering; errors use the first renderer.
                return renderers[0], renderers[0].media_type
            raise _unknown_format(requested, offered=True)
        if requested and not any(r.format == requested for r in renderers):
            raise _unknown_format(requested, offered=False)
        first = renderers[0]
        if (
            not requested
            and request.META.get("HTTP_ACCEPT", "*/*") in _ANY_OR_JSON
            and first.media_type == JSON
        ):
            # DRF's answer, without parsing the header into media types.
            return first, JSON
        return super().select_renderer(request, renderers, format_suffix)


def _handles(view, method: str) -> bool:
    if getattr(view, "action_map", None) is not None:
        return method.lower() in view.action_map
    return getattr(view, method.lower(), None) is not None


def _unknown_format(requested: str, *, offered: bool) -> ValidationError:
    detail = (
        "CSV is not offered here."
        if offered
        else f"Unknown format {requested[:20]!r}: json, or csv where offered."
    )
    return ValidationError({FORMAT_PARAM: [ErrorDetail(detail, code="invalid")]})


def cell(value) -> str:
    """One value as a CSV cell: text a spreadsheet would run is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Line:
    """What ``csv.writer`` writes to: it hands back the line it was given."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The header, then each row, as UTF-8 lines; a block of rows at a time."""
    writer = csv.writer(_Line())
    yield writer.writerow(header).encode()
    block: list[str] = []
    for row in rows:
        block.append(writer.writerow([cell(value) for value in row]))
        if len(block) >= 500:
            yield "".join(block).encode()
            block = []
    if block:
        yield "".join(block).encode()


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """``rows`` streamed as a CSV attachment named ``filename``.csv."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def dict_rows(header: Sequence[str], answers: Iterable[dict]) -> Iterator[list]:
    """API answers (dicts) as rows of ``header``'s fields."""
    for answer in answers:
        yield [answer[name] for name in header]


def chunked(iterable: Iterable, size: int = CHUNK) -> Iterator[list]:
    chunk: list = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class CSVListMixin:
    """``?format=csv`` on a list: every matching row, as the JSON list filters them.

    The rows are the list's own answers: a view with a ``representation``
    writes its rows from plain ``values_list`` rows read through a
    server-side cursor; any other view serializes the instances that cursor
    yields. ``csv_header()`` and ``csv_rows()`` may be overridden (an order
    is one row per line).
    """

    csv_actions = ("list",)
    csv_filename = "export"

    def list(self, request, *args, **kwargs):
        if not wants_csv(request):
            return super().list(request, *args, **kwargs)
        # Filtered before the response starts: a bad filter is a JSON 400.
        queryset = self.filter_queryset(self.get_queryset())
        return csv_response(
            filename=self.csv_filename,
            header=self.csv_header(),
            rows=self.csv_rows(queryset),
        )

    def csv_header(self) -> list[str]:
        representation = getattr(self, "representation", None)
        if representation is not None:
            return list(representation.flat_fields)
        return list(self.get_serializer().fields)

    def csv_rows(self, queryset) -> Iterator[list]:
        header = self.csv_header()
        representation = getattr(self, "representation", None)
        if representation is not None:
            rows = queryset.values_list(*representation.columns).iterator(CHUNK)
            for chunk in chunked(rows):
                yield from dict_rows(header, self.represent_csv_rows(chunk))
            return
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        for chunk in chunked(queryset.iterator(CHUNK)):
            answers = serializer_class(chunk, many=True, context=context).data
            yield from dict_rows(header, answers)

    def represent_csv_rows(self, rows: list[tuple]) -> list[dict]:
        return self.representation.write(rows)
