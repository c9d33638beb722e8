"""deploy/gunicorn.conf.py's workers share a burst of new connections.

With gunicorn's plain gthread worker, a burst of keep-alive connections often
all landed on one worker, which then served them with one core while the
other idled. BalancedThreadWorker leaves new connections to a sibling with
free threads, and still takes them when every worker is full.
"""

import os
import socket
import subprocess
import time
from collections import Counter

import pytest

from tests.helpers import free_port

from .material import BIN, REPO

WORKERS, THREADS, CONNECTIONS = 2, 4, 16


@pytest.fixture
def server():
    port = free_port()
    env = dict(
        os.environ,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_THREADS=str(THREADS),
        GUNICORN_LOG_LEVEL="warning",
    )
    app = "tests.deploy.pid_app:application"
    process = subprocess.Popen(
        [BIN / "gunicorn", "--config", "deploy/gunicorn.conf.py", app],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not _answers(port):
        assert process.poll() is None, "gunicorn exited"
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)
    time.sleep(1)  # every worker booted
    yield port
    process.terminate()
    process.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return bool(_ask(socket.create_connection(("127.0.0.1", port))))
    except OSError:
        return False


def _ask(sock: socket.socket) -> str:
    with sock:
        sock.settimeout(5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        response = b""
        while b"\r\n\r\n" not in response or not response.split(b"\r\n\r\n", 1)[1]:
            chunk = sock.recv(4096)
            assert chunk, "connection closed before the answer"
            response += chunk
        return response.split(b"\r\n\r\n", 1)[1].decode()


def test_a_burst_of_connections_is_spread_over_the_workers(server):
    # Opened at once and held, like a load balancer's or wrk's connections.
    sockets = [
        socket.create_connection(("127.0.0.1", server)) for _ in range(CONNECTIONS)
    ]
    time.sleep(0.5)

    pids = Counter(_ask(sock) for sock in sockets)  # every connection answered

    assert sum(pids.values()) == CONNECTIONS
    assert len(pids) == WORKERS
    # Each worker took at least a connection per thread: none sat idle.
    assert min(pids.values()) >= THREADS
