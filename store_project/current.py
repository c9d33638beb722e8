"""The request being served in this context, for records of who did what.

Services record the actor of a change (the audit log) without every caller
passing the user down: the API's authentication sets ``request.user`` on the
Django request it wraps, and the admin's session middleware does the same, so
this one request covers both. Outside a request (a management command) there
is none, and the actor is whoever the caller names, or nobody.
"""

from contextvars import ContextVar

from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar(
    "current_request", default=None
)
