"""JSON log lines and the request id that ties them together."""

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Name the request on every record.

    Django logs a request's 4xx/5xx after the middleware has returned, with
    the request attached to the record; other records take the id of the
    request being served in this context.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        if record.exc_info or record.exc_text:
            # exc_text: the traceback as PersonalDataFilter left it.
            entry["exception"] = record.exc_text or self.formatException(
                record.exc_info
            )
        return json.dumps(entry, default=str)


# Not "=", "&", "?" or "/" in the local part, legal but rare: they would eat
# the parameter name of a query string ("search=ann@example.com").
_EMAIL = re.compile(r"[\w.!#$%'*+^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits with the separators phones are written with: masked when it
# holds 7 to 15 digits (E.164's longest) and is not a date or a decimal; bare
# digits from 10 on (shorter ones are ids and counts).
_PHONE = re.compile(r"\+?\(?\d[\d ().\-]{5,}\d")
_DATE_OR_DECIMAL = re.compile(r"\d{4}-\d{2}-\d{2}.*|\d+\.\d{1,6}")
MASK = "[redacted]"


def _mask_phone(match: re.Match) -> str:
    text = match.group().strip()
    digits = sum(c.isdigit() for c in text)
    least = 10 if text.isdigit() else 7
    if not least <= digits <= 15 or _DATE_OR_DECIMAL.fullmatch(text):
        return match.group()
    return MASK


def mask_personal_data(text: str) -> str:
    """``text`` with every e-mail address and phone number in it masked."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub(MASK, text))


class PersonalDataFilter(logging.Filter):
    """Mask e-mails and phone numbers anywhere in a record before it is written.

    The code logs ids, never a client's data; this catches what it does not
    control: a database error quoting the value that broke a unique index,
    a traceback, SQL logged with its parameters at DEBUG. Addresses have no
    shape to recognise, so none is ever logged in the first place.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
