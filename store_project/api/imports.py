"""The API side of CSV imports: the file from the request, ``dry_run``, the
answer, and the OpenAPI description shared by the import actions."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser

from store_project.api.schema import ErrorResponse400ImportSerializer
from store_project.csv_import import FILE, MAX_BYTES, MAX_ROWS, refuse_file


class CSVParser(BaseParser):
    """A ``text/csv`` body, as bytes: the import decodes and checks it."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_BYTES:
            raise refuse_file(
                "too_large", f"The file is larger than {MAX_BYTES // 2**20} MB."
            )
        return data


IMPORT_PARSERS = [CSVParser, MultiPartParser]


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    dry_run = serializers.BooleanField()


class ImportFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file (UTF-8, a header row).")


def uploaded_csv(request) -> bytes:
    """The file of an import request: the ``text/csv`` body, or the multipart
    field ``file`` (whatever type the browser gave it); 400 otherwise."""
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "multipart/form-data"):
        raise refuse_file(
            "not_csv",
            "Send the file as a text/csv body or as the multipart field 'file'.",
        )
    if content_type == "text/csv":
        data = request.data
        return data if isinstance(data, bytes) else b""  # no body: DRF's {}
    upload = request.FILES.get(FILE)
    if upload is None:
        raise ValidationError({FILE: ["No file was sent in the field 'file'."]})
    if upload.size > MAX_BYTES:
        raise refuse_file(
            "too_large", f"The file is larger than {MAX_BYTES // 2**20} MB."
        )
    return upload.read()


def dry_run_of(request) -> bool:
    value = request.query_params.get("dry_run", "").strip().lower()
    if value not in ("true", "false", ""):  # empty: not given
        raise ValidationError({"dry_run": ["Must be true or false."]})
    return value == "true"


def import_schema(what: str, key: str, columns: str):
    return extend_schema(
        summary=f"Import {what} from a CSV file, all or nothing",
        description=(
            f"A CSV file (UTF-8, header row, at most {MAX_ROWS:,} rows) as a "
            "`text/csv` body or the multipart field `file`. Columns: "
            f"{columns}; rows are keyed by `{key}` (an existing one updates, "
            "another creates). An empty cell leaves the field as it is on an "
            "update and takes the default on a create. If any row is bad, "
            "nothing is written and every problem is answered, each with "
            '`attr` `"row N: column"`. `dry_run=true` checks and counts only.'
        ),
        parameters=[
            OpenApiParameter(
                "dry_run",
                OpenApiTypes.BOOL,
                description="Check and count, write nothing.",
            )
        ],
        request={
            "text/csv": {"type": "string", "format": "binary"},
            "multipart/form-data": ImportFileSerializer,
        },
        responses={200: ImportResultSerializer, 400: ErrorResponse400ImportSerializer},
    )
