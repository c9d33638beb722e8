"""A WSGI app that answers with the pid of the gunicorn worker serving it
(at ``/frozen``, with how many objects its garbage collector leaves alone)."""

import gc
import os


def application(environ, start_response):
    if environ["PATH_INFO"] == "/frozen":
        body = str(gc.get_freeze_count()).encode()
    else:
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
