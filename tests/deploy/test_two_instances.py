"""Two instances of the store against one database and one Redis.

Two gunicorn servers, each started as the image starts it (the Dockerfile's
CMD with deploy/gunicorn.conf.py, two workers each, the production task
definition's environment: see test_production_command.py), share a fresh
PostgreSQL database and a Redis server of this module's own. Requests are
spread over both, as a load balancer would, and every rule must hold across
them: the login throttle, stock that never oversells, Idempotency-Key
retries, and webhook events delivered once each by a worker on each side
(the worker task definition's command, against the same database).

Last, Redis is stopped under both: they keep answering, promptly.
"""

import http.client
import json
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest

from store_project.api.throttling import OUTAGE_PAUSE
from tests.helpers import free_port
from tests.integrations.receiver import Receiver

from . import material
from .test_production_command import (  # noqa: F401 (fixtures)
    HOST,
    HTTPS,
    app_dir,
    database_url,
    migrated,
    start_gunicorn,
    stop,
    task_environment,
    task_metadata,
)

LOGIN_RATE = 5
PASSWORD = "two-instances-" + uuid.uuid4().hex


class RedisServer:
    """A redis-server of this module's own, so that it can be stopped."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                text=True,
                check=False,
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def redis_server():
    assert shutil.which("redis-server"), "Debian's redis-server is needed here"
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def instances(app_dir, task_environment, migrated, redis_server, tmp_path_factory):  # noqa: F811
    logs = tmp_path_factory.mktemp("two-instances")
    running = []
    try:
        for name in ("a", "b"):
            port = free_port()
            environment = {
                **task_environment,
                "REDIS_URL": redis_server.url,
                "THROTTLE_LOGIN": f"{LOGIN_RATE}/min",
                # The test's webhook receiver listens on loopback.
                "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
                "GUNICORN_WORKERS": "2",
                "PORT": str(port),
                "GUNICORN_BIND": f"127.0.0.1:{port}",
            }
            running.append(start_gunicorn(app_dir, environment, logs / f"{name}.log"))
        yield running
    finally:
        for server in running:
            stop(server)


def call(server, method, path, body=None, headers=None):
    """One request through a new connection; returns (status, JSON body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            method,
            path,
            body=None if body is None else json.dumps(body),
            headers={
                "Host": HOST,
                **HTTPS,
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


@pytest.fixture(scope="module")
def manager(app_dir, task_environment, migrated):  # noqa: F811
    """A manager, ``boss``, made as staff would on a new store."""
    script = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user('boss', password='{PASSWORD}')"
    )
    for command in (
        ["python", "manage.py", "shell", "-c", script],
        ["python", "manage.py", "assign_role", "boss", "manager"],
    ):
        result = subprocess.run(
            command,
            cwd=app_dir,
            env=task_environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, material.output(result)
    return "boss"


@pytest.fixture(scope="module")
def token(instances, manager):
    status, body = call(
        instances[0],
        "POST",
        "/api/v1/auth/token/",
        {"username": manager, "password": PASSWORD},
    )
    assert status == 200, body
    return {"Authorization": f"Token {body['token']}"}


def test_the_login_throttle_counts_attempts_across_both_instances(instances):
    a, b = instances
    attempt = {"username": f"till-{uuid.uuid4().hex[:8]}", "password": "wrong"}

    spread = [
        call((a, b)[i % 2], "POST", "/api/v1/auth/token/", attempt)[0]
        for i in range(LOGIN_RATE)
    ]

    assert spread == [400] * LOGIN_RATE
    for server in (a, b):
        status, body = call(server, "POST", "/api/v1/auth/token/", attempt)
        assert status == 429, body
        assert body["errors"][0]["code"] == "throttled"
    # A colleague at the same till is not locked out on either.
    colleague = {**attempt, "username": attempt["username"] + "-2"}
    assert call(b, "POST", "/api/v1/auth/token/", colleague)[0] == 400


def new_product(server, token, stock):
    status, category = call(
        server, "POST", "/api/v1/categories/", {"name": uuid.uuid4().hex}, token
    )
    assert status == 201, category
    status, product = call(
        server,
        "POST",
        "/api/v1/products/",
        {
            "name": "Last units",
            "unit_price": "19.99",
            "category": category["id"],
            "stock": stock,
        },
        token,
    )
    assert status == 201, product
    return product


@pytest.fixture(scope="module")
def client_id(instances, token):
    status, client = call(
        instances[0],
        "POST",
        "/api/v1/clients/",
        {"name": "Ann", "email": f"{uuid.uuid4().hex}@example.com"},
        token,
    )
    assert status == 201, client
    return client["id"]


def test_concurrent_confirmations_over_both_never_oversell(instances, token, client_id):
    a, b = instances
    product = new_product(a, token, stock=5)
    orders = []
    for i in range(12):
        status, order = call(
            (a, b)[i % 2],
            "POST",
            "/api/v1/orders/",
            {"client": client_id, "lines": [{"product": product["id"], "quantity": 1}]},
            token,
        )
        assert status == 201, order
        orders.append(order["id"])

    barrier = threading.Barrier(len(orders))
    statuses = [None] * len(orders)

    def confirm_with_token(index, order_id):
        barrier.wait()
        server = (a, b)[index % 2]
        statuses[index] = call(
            server, "POST", f"/api/v1/orders/{order_id}/confirm/", headers=token
        )[0]

    threads = [
        threading.Thread(target=confirm_with_token, args=(i, order_id))
        for i, order_id in enumerate(orders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 5 + [409] * 7, statuses
    status, after = call(b, "GET", f"/api/v1/products/{product['id']}/", None, token)
    assert (status, after["stock"]) == (200, 0)
    status, movements = call(
        a, "GET", f"/api/v1/stock-movements/?product={product['id']}", None, token
    )
    assert status == 200
    quantities = sorted(m["quantity"] for m in movements["results"])
    assert quantities == [-1] * 5 + [5]
    confirmed = [
        call(b, "GET", f"/api/v1/orders/{order_id}/", None, token)[1]["status"]
        for order_id in orders
    ]
    assert confirmed.count("confirmed") == 5
    assert confirmed.count("draft") == 7


def test_a_retry_sent_to_the_other_instance_answers_the_first_response(
    instances, token, client_id
):
    a, b = instances
    product = new_product(a, token, stock=3)
    key = {"Idempotency-Key": f"till-7-{uuid.uuid4().hex}", **token}
    draft = {"client": client_id, "lines": [{"product": product["id"], "quantity": 2}]}

    first = call(a, "POST", "/api/v1/orders/", draft, key)
    retry = call(b, "POST", "/api/v1/orders/", draft, key)

    assert first[0] == 201, first
    assert retry == first
    order = first[1]["id"]
    confirm_key = {"Idempotency-Key": f"confirm-{uuid.uuid4().hex}", **token}
    confirmed = call(b, "POST", f"/api/v1/orders/{order}/confirm/", None, confirm_key)
    again = call(a, "POST", f"/api/v1/orders/{order}/confirm/", None, confirm_key)
    assert confirmed[0] == 200, confirmed
    assert again == confirmed
    # Stock was taken once; one order exists for that client's product.
    status, after = call(a, "GET", f"/api/v1/products/{product['id']}/", None, token)
    assert after["stock"] == 1
    status, listed = call(
        b, "GET", f"/api/v1/orders/?client={client_id}&status=confirmed", None, token
    )
    assert [o["id"] for o in listed["results"]].count(order) == 1
    # The same key with another body is refused on either instance.
    other = {**draft, "notes": "changed"}
    status, body = call(b, "POST", "/api/v1/orders/", other, key)
    assert status == 422, body


def test_concurrent_retries_on_both_instances_make_one_order(
    instances, token, client_id
):
    a, b = instances
    product = new_product(a, token, stock=10)
    key = {"Idempotency-Key": f"burst-{uuid.uuid4().hex}", **token}
    draft = {"client": client_id, "lines": [{"product": product["id"], "quantity": 1}]}
    barrier = threading.Barrier(6)
    answers = [None] * 6

    def send(index):
        barrier.wait()
        answers[index] = call((a, b)[index % 2], "POST", "/api/v1/orders/", draft, key)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers[0][0] == 201, answers
    assert all(answer == answers[0] for answer in answers), answers


@pytest.fixture
def workers(app_dir, task_environment, redis_server, tmp_path):  # noqa: F811
    """Two webhook workers, each run as its ECS task definition runs it."""
    (container,) = material.rendered_task_definition("production", "worker")[
        "containerDefinitions"
    ]
    environment = {
        **task_environment,
        "REDIS_URL": redis_server.url,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "WEBHOOK_POLL_SECONDS": "0.1",
    }
    running = []
    for name in ("a", "b"):
        with (tmp_path / f"worker-{name}.log").open("w") as log:
            running.append(
                subprocess.Popen(
                    container["command"],
                    cwd=app_dir,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    yield running
    for worker in running:
        worker.send_signal(signal.SIGTERM)
    for worker in running:
        assert worker.wait(30) == 0, (tmp_path / "worker-a.log").read_text()


def test_each_event_is_delivered_once_with_a_worker_on_each_side(
    instances, token, client_id, workers
):
    a, b = instances
    receiver = Receiver().start()
    try:
        secret = uuid.uuid4().hex
        status, webhook = call(
            a,
            "POST",
            "/api/v1/webhooks/",
            {"url": receiver.url, "events": ["order.confirmed"], "secret": secret},
            token,
        )
        assert status == 201, webhook
        product = new_product(a, token, stock=50)
        confirmed = []
        for i in range(12):
            server = (a, b)[i % 2]
            status, order = call(
                server,
                "POST",
                "/api/v1/orders/",
                {
                    "client": client_id,
                    "lines": [{"product": product["id"], "quantity": 1}],
                },
                token,
            )
            assert status == 201, order
            status, order = call(
                server, "POST", f"/api/v1/orders/{order['id']}/confirm/", None, token
            )
            assert status == 200, order
            confirmed.append(order["id"])

        deadline = time.monotonic() + 60
        while len({r.json["id"] for r in receiver.received}) < len(confirmed):
            assert time.monotonic() < deadline, "not every event arrived"
            time.sleep(0.1)
        time.sleep(1.0)  # time for a second delivery of any event to show

        received = list(receiver.received)
        assert Counter(r.json["id"] for r in received).most_common(1)[0][1] == 1
        assert sorted(r.json["data"]["id"] for r in received) == sorted(confirmed)
        assert all(r.signature_valid(secret) for r in received)
        status, deliveries = call(
            b, "GET", f"/api/v1/webhooks/{webhook['id']}/deliveries/", None, token
        )
        assert status == 200, deliveries
        assert [d["status"] for d in deliveries["results"]] == ["delivered"] * 12
        assert {d["attempts"] for d in deliveries["results"]} == {1}
    finally:
        receiver.stop()


def test_both_instances_keep_serving_while_redis_is_down(
    instances, token, redis_server
):
    a, b = instances
    redis_server.stop()
    try:
        attempt = {"username": f"outage-{uuid.uuid4().hex[:8]}", "password": "x"}
        started = time.monotonic()
        listed = [
            call(server, "GET", "/api/v1/products/", None, token)[0]
            for server in (a, b, a, b)
        ]
        logins = [
            call((a, b)[i % 2], "POST", "/api/v1/auth/token/", attempt)[0]
            for i in range(4)
        ]
        elapsed = time.monotonic() - started
        assert listed == [200] * 4
        assert logins == [400] * 4  # served, counted per process meanwhile
        assert elapsed < 5, elapsed
        log = "".join(server.log.read_text() for server in instances)
        assert "Redis did not answer" in log
    finally:
        redis_server.start()

    # Once the pause is over, both count in Redis again, together.
    time.sleep(OUTAGE_PAUSE + 0.5)
    attempt = {"username": f"after-{uuid.uuid4().hex[:8]}", "password": "x"}
    for i in range(LOGIN_RATE):
        call((a, b)[i % 2], "POST", "/api/v1/auth/token/", attempt)
    for server in (a, b):
        assert call(server, "POST", "/api/v1/auth/token/", attempt)[0] == 429
