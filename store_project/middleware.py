"""Cross-cutting request handling: request ids, early input checks, messages."""

import re
import uuid
from functools import partial

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty

from .current import current_request
from .logging import request_id_var
from .views import error_response

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Take ``X-Request-ID`` when it is sane, else make one; echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        request_token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(request_token)
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RejectNulInQueryMiddleware:
    """Answer 400 to query parameters holding NUL, which PostgreSQL refuses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A parameter can only hold NUL if the raw query has one: most
        # requests are answered without parsing it here.
        query = request.META.get("QUERY_STRING", "")
        if "%00" not in query and "\x00" not in query:
            return self.get_response(request)
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return error_response(
                    400,
                    "client_error",
                    "parse_error",
                    "Query parameters must not contain NUL characters.",
                )
        return self.get_response(request)


class LazyMessageMiddleware(MessageMiddleware):
    """Django's, with a request's message storage made when first used.

    Only the admin's pages use messages; every API request made the storage
    (a cookie signer and a session store) and saved it back unused.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(partial(default_storage, request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
