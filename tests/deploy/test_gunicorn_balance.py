"""deploy/gunicorn.conf.py's workers share new connections and drop none.

With gunicorn's plain gthread worker, a burst of keep-alive connections often
all landed on one worker, which then served them with one core while the
other idled. BalancedThreadWorker leaves new connections to a sibling with
free threads, and still takes them when every worker is full. The workers
share the master's listening socket, so a worker recycled by
``max_requests`` leaves the connections waiting to be accepted to its
siblings; with gunicorn's ``reuse_port`` (a socket per worker, spread by a
kernel hash) the spread is only as even as the hash, and those connections
are reset. Real gunicorn, real sockets: run after any gunicorn upgrade.
"""

import errno
import os
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest

from tests.helpers import free_port

from .material import BIN, REPO

WORKERS, THREADS = 2, 4
# Few enough that the workers are recycled many times within a second or two.
MAX_REQUESTS, REQUESTS_PER_CLIENT = 50, 150


@pytest.fixture
def start_gunicorn():
    processes = []

    def start(**settings: str) -> int:
        port = free_port()
        env = dict(
            os.environ,
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(WORKERS),
            GUNICORN_THREADS=str(THREADS),
            GUNICORN_LOG_LEVEL="warning",
            **settings,
        )
        app = "tests.deploy.pid_app:application"
        process = subprocess.Popen(
            [BIN / "gunicorn", "--config", "deploy/gunicorn.conf.py", app],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        deadline = time.monotonic() + 30
        while not _answers(port):
            assert process.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        time.sleep(1)  # every worker booted
        return port

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return bool(_ask(socket.create_connection(("127.0.0.1", port))))
    except OSError:
        return False


def _ask(sock: socket.socket, path: str = "/") -> str:
    with sock:
        sock.settimeout(5)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
        response = b""
        while b"\r\n\r\n" not in response or not response.split(b"\r\n\r\n", 1)[1]:
            chunk = sock.recv(4096)
            assert chunk, "connection closed before the answer"
            response += chunk
        return response.split(b"\r\n\r\n", 1)[1].decode()


def test_a_worker_freezes_what_loading_the_app_allocated(start_gunicorn):
    port = start_gunicorn()

    frozen = int(_ask(socket.create_connection(("127.0.0.1", port)), "/frozen"))

    # gunicorn and the app's modules: the collector's full passes skip them.
    assert frozen > 1000


@pytest.mark.parametrize("connections", [WORKERS * THREADS, 2 * WORKERS * THREADS])
def test_a_burst_of_connections_is_spread_over_the_workers(start_gunicorn, connections):
    port = start_gunicorn()
    # Opened at once and held, like a load balancer's or wrk's connections.
    sockets = [
        socket.create_connection(("127.0.0.1", port)) for _ in range(connections)
    ]
    time.sleep(0.5)

    pids = Counter(_ask(sock) for sock in sockets)  # every connection answered

    assert sum(pids.values()) == connections
    assert len(pids) == WORKERS
    # Each worker took at least a connection per thread: none sat idle, and
    # none kept a connection waiting for a thread while a sibling had one free.
    assert min(pids.values()) >= THREADS


class KeepAliveClient:
    """Requests one after another on a kept-alive connection, as a load
    balancer does, and a new connection whenever the server closes one."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.pids: set[str] = set()
        self.failures: list[str] = []  # of requests on new connections

    def run(self, requests: int) -> None:
        while requests:
            fresh = self.sock is None
            try:
                if fresh:
                    self.sock = socket.create_connection(("127.0.0.1", self.port))
                    self.sock.settimeout(10)
                pid, closing = self._request()
            except OSError as exc:
                self._close()
                # A kept-alive connection the server closed just as the
                # request left is retried on a new one, as HTTP clients and
                # load balancers do; a new connection has no such excuse.
                if fresh:
                    name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
                    self.failures.append(name)
                    requests -= 1
                continue
            self.pids.add(pid)
            requests -= 1
            if closing:
                self._close()

    def _request(self) -> tuple[str, bool]:
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        response = b""
        while b"\r\n\r\n" not in response:
            response += self._recv()
        head, body = response.split(b"\r\n\r\n", 1)
        headers = dict(line.lower().split(b":", 1) for line in head.split(b"\r\n")[1:])
        while len(body) < int(headers[b"content-length"]):
            body += self._recv()
        return body.decode(), headers.get(b"connection", b"").strip() == b"close"

    def _recv(self) -> bytes:
        chunk = self.sock.recv(4096)
        if not chunk:
            raise ConnectionResetError(errno.ECONNRESET, "closed before the answer")
        return chunk

    def _close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def test_recycled_workers_drop_no_new_connection(start_gunicorn):
    port = start_gunicorn(
        GUNICORN_MAX_REQUESTS=str(MAX_REQUESTS), GUNICORN_MAX_REQUESTS_JITTER="0"
    )
    clients = [KeepAliveClient(port) for _ in range(WORKERS * THREADS)]
    threads = [
        threading.Thread(target=client.run, args=(REQUESTS_PER_CLIENT,))
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads), "clients stuck"
    failures = Counter(failure for client in clients for failure in client.failures)
    assert not failures, f"requests failed on new connections: {dict(failures)}"
    # Workers were recycled, several times each, while the clients ran.
    assert len(set().union(*(client.pids for client in clients))) > 3 * WORKERS
