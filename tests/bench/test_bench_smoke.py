"""The benchmark is not run in the suite (minutes of load); its pieces import."""

from django.urls import resolve, set_urlconf

import bench.bench  # noqa: F401 - the runner imports without side effects
from bench import hello, reference


def test_hello_is_a_wsgi_app():
    started = []
    body = hello.application({}, lambda status, headers: started.append(status))
    assert started == ["200 OK"]
    assert b"".join(body) == hello.BODY


def test_reference_urlconf_routes_its_view():
    set_urlconf(reference)
    try:
        assert resolve("/reference/products/").func is reference.products
    finally:
        set_urlconf(None)
