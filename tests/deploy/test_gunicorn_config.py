"""deploy/gunicorn.conf.py: settings from the environment, own-address hosts."""

import http.server
import json
import threading

import pytest
from gunicorn.workers.gthread import ThreadWorker

from . import material

CONFIG = material.REPO / "deploy" / "gunicorn.conf.py"


def load_config():
    return material.load_module(CONFIG, "gunicorn_conf_under_test")


def test_workers_threads_and_timeouts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("GUNICORN_GRACEFUL_TIMEOUT", "12")
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    config = load_config()
    assert (config.workers, config.threads, config.graceful_timeout) == (5, 8, 12)
    assert config.bind == "0.0.0.0:9001"
    assert issubclass(config.worker_class, ThreadWorker)  # gthread, balanced


def test_defaults_fit_the_task_definitions(monkeypatch):
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    config = load_config()
    for environment in material.ENVIRONMENTS:
        task = material.rendered_task_definition(environment, "store")
        (container,) = task["containerDefinitions"]
        # Requests in flight must finish before ECS kills the container.
        assert config.graceful_timeout < container["stopTimeout"]
        variables = {e["name"]: e["value"] for e in container["environment"]}
        # One pooled connection per thread: the pool is per worker process.
        assert variables["DB_POOL_MAX_SIZE"] == variables["GUNICORN_THREADS"]


def test_pod_ip_is_added_to_allowed_hosts():
    config = load_config()
    environ = {"ALLOWED_HOSTS": "store.example.com", "POD_IP": "10.1.2.3"}
    config.allow_own_address(environ)
    assert environ["ALLOWED_HOSTS"] == "store.example.com,10.1.2.3"
    config.allow_own_address(environ)  # idempotent
    assert environ["ALLOWED_HOSTS"] == "store.example.com,10.1.2.3"


def test_allowed_hosts_untouched_outside_ecs_and_kubernetes():
    config = load_config()
    environ = {"ALLOWED_HOSTS": "store.example.com"}
    config.allow_own_address(environ)
    assert environ == {"ALLOWED_HOSTS": "store.example.com"}


class Metadata(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def metadata_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_task_addresses_come_from_the_ecs_metadata(metadata_server):
    Metadata.body = json.dumps(
        {
            "Containers": [
                {"Networks": [{"IPv4Addresses": ["10.0.3.7"]}]},
                {"Networks": [{"IPv4Addresses": ["10.0.3.7"]}]},
            ]
        }
    ).encode()
    uri = f"http://127.0.0.1:{metadata_server.server_port}/v4"
    environ = {"ALLOWED_HOSTS": "a.example", "ECS_CONTAINER_METADATA_URI_V4": uri}
    load_config().allow_own_address(environ)
    assert environ["ALLOWED_HOSTS"] == "a.example,10.0.3.7"


def test_unreadable_metadata_leaves_allowed_hosts_alone(metadata_server):
    Metadata.body = b"not json"
    uri = f"http://127.0.0.1:{metadata_server.server_port}/v4"
    environ = {"ALLOWED_HOSTS": "a.example", "ECS_CONTAINER_METADATA_URI_V4": uri}
    load_config().allow_own_address(environ)
    assert environ["ALLOWED_HOSTS"] == "a.example"
