import json
import logging
import subprocess
import sys

from tests.foundation.test_settings import PROD_VALUES, ROOT


def test_staging_logs_one_json_object_per_line_with_the_request_id():
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "import logging; logging.getLogger('store').warning('till %s', 7);"
        "Client().get('/nope', headers={'X-Request-ID': 'req-42'}, "
        "HTTP_HOST='store.example.com', secure=True)"
    )
    env = {
        **PROD_VALUES,
        "DJANGO_ENV": "staging",
        "DJANGO_SETTINGS_MODULE": "store_project.settings",
        "PATH": "/usr/bin:/bin",
    }

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["message"] == "till 7"
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "store"
    not_found = [entry for entry in lines if entry["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == "req-42"


def test_the_text_format_names_the_request_id():
    from store_project.logging import RequestIdFilter, request_id_var

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    assert record.request_id == "abc"
