"""JSON rendering with orjson: DRF's bytes, produced several times faster."""

import orjson
from rest_framework import renderers

# Date-times and dataclasses go to DRF's encoder, which writes them its way.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Valid JSON but not valid JavaScript: DRF escapes them, so do we.
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSONRenderer with orjson doing the encoding of compact output.

    Encoding a page of 50 orders took DRF's ``json.dumps`` path more time
    than writing the page's dicts. orjson writes the same bytes for what API
    responses hold (strings, integers, booleans, null, lists, dicts); what it
    would write differently (date-times, Decimal, lazy strings, ...) goes
    through DRF's own encoder, and whatever orjson refuses (non-string keys,
    integers beyond 64 bits, ...) takes DRF's path whole. So does indented
    output (the browsable API). One difference remains, and no response of
    this API has it: floats, which orjson writes in the shortest form
    (``1e16`` rather than ``1e+16``) and NaN as null.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        indent = self.get_indent(accepted_media_type, renderer_context)
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(
                data, default=self.encoder_class().default, option=_OPTIONS
            )
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in out or _PARAGRAPH_SEPARATOR in out:
            out = out.replace(_LINE_SEPARATOR, b"\\u2028")
            out = out.replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return out
