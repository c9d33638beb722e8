"""JSON parsing that refuses what PostgreSQL cannot store."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    """JSONParser that rejects NUL characters anywhere in the document.

    PostgreSQL cannot store NUL in text, and validators that query the
    database run before field checks, so NUL must be stopped here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError("JSON strings must not contain NUL (\\u0000) characters.")
        return data
