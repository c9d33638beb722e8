"""A bare WSGI "hello": the ceiling of gunicorn itself on this machine."""

BODY = b'{"hello": "world"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
