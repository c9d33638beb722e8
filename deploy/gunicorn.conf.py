"""gunicorn settings of the production image, every knob from the environment.

Started by the image's ``CMD``: ``gunicorn --config deploy/gunicorn.conf.py
store_project.wsgi:application``. Threads (gthread) rather than async workers:
sync Django serves faster that way; ``BalancedThreadWorker`` spreads
connections over the workers. Size ``DB_POOL_MAX_SIZE`` to
``GUNICORN_THREADS``: the database pool is per worker process.

Why a subclass of gthread rather than gunicorn's ``reuse_port`` (a listening
socket per worker, new connections spread by a kernel hash): under load it
serves no faster, and a worker's socket dies with the worker. Every
``max_requests`` recycle resets the connections queued on the stopping
worker's socket, and while all the workers restart together the port refuses
connections. Here the master holds the one socket, so a new connection waits
for a worker instead. The hash is also only even on average: a burst of
connections often leaves one worker more connections than threads while a
sibling has threads to spare. What ``reuse_port`` does better: with fewer
connections than a worker has threads, nothing below holds a worker back, and
the shared socket can hand them all to one worker.
"""

import gc
import json
import os
import time
import urllib.parse
import urllib.request

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


class BalancedThreadWorker(ThreadWorker):
    """gthread, but a worker with a connection on every thread lets its
    siblings take new connections first.

    The workers share one listening socket and each accepts whatever arrives
    while it is awake, so a burst of new connections (a load balancer's, or a
    benchmark's 32 at once) often all landed on one worker: the other idled,
    the task served at half its CPU and twice the latency. Here a worker
    holding at least ``threads`` connections accepts at most one more per
    ``ACCEPT_BACKOFF`` seconds, leaving the rest to a sibling with free
    threads; when none has, connections still get in, a little later.
    Relies on ThreadWorker's run loop (gunicorn is pinned): it reads
    ``worker_connections`` on every turn to decide whether to accept.
    """

    ACCEPT_BACKOFF = 0.02
    _last_accept = 0.0

    def accept(self, listener):
        self._last_accept = time.monotonic()
        super().accept(listener)

    @property
    def worker_connections(self):
        full = self.nr_conns >= self.cfg.threads
        if full and time.monotonic() - self._last_accept < self.ACCEPT_BACKOFF:
            return self.nr_conns  # not accepting for now
        return self.cfg.worker_connections

    @worker_connections.setter
    def worker_connections(self, value):
        pass  # ThreadWorker.__init__ sets it; the property above reads the config

    def wait_for_and_dispatch_events(self, timeout):
        # While not accepting, wake up in time to accept again.
        if not self._accepting:
            timeout = min(timeout, self.ACCEPT_BACKOFF)
        super().wait_for_and_dispatch_events(timeout)


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
worker_class = BalancedThreadWorker
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
# A request may run this long before its worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (ECS stop, Kubernetes rollout) requests in flight get this long to
# finish; keep it below the orchestrator's stop timeout (ECS stopTimeout: 30).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
# Longer than the load balancer's idle timeout (ALB: 60 s), so the balancer,
# not gunicorn, closes idle connections and no request meets a closed socket.
keepalive = _int("GUNICORN_KEEPALIVE", 65)
# Recycle workers now and then so a slow leak never takes a task down. Rarely:
# a restart re-imports Django (about a second of CPU) and drops the worker's
# keep-alive connections; at 2,000 a busy worker restarted every few seconds
# and the bare WSGI hello ran at a fifth of its speed. 0 turns it off.
max_requests = _int("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 10_000)
# The heartbeat file must be on a memory file system, and the root file system
# is read-only in production.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (
    "/dev/shm" if os.path.isdir("/dev/shm") else None
)
# The control socket would be written under $HOME, which does not exist here.
control_socket_disable = True
# TLS ends at the load balancer, in front of a private network: trust its
# X-Forwarded-* headers (Django reads X-Forwarded-Proto itself).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


class JsonAccessLogger(Logger):
    """Writes each access log line as one JSON object, like the app's own logs.

    Its fields are read from the request and the response directly: gunicorn's
    ``atoms()`` would build a dict of every header and environ variable for
    each request, of which a line uses two.
    """

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": _header(resp.headers, "x-request-id"),
            "remote_addr": environ.get("REMOTE_ADDR", "-"),
            "forwarded_for": _header(req.headers, "x-forwarded-for"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": _masked(environ.get("QUERY_STRING", "")),
            "protocol": environ.get("SERVER_PROTOCOL"),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
            "referer": _masked(environ.get("HTTP_REFERER", "-")),
        }
        self.access_log.info(json.dumps(entry, default=str))


def _header(headers: list[tuple[str, str]], name: str) -> str:
    """The first value of header ``name`` (any case) in gunicorn's list, or "-"."""
    for key, value in headers:
        if key.lower() == name:
            return value
    return "-"


logger_class = JsonAccessLogger


def post_worker_init(worker):
    """Called once the worker has loaded the application: what is allocated
    by then (Django, the apps, their routes and schema) lives as long as the
    worker. Frozen, the collector no longer walks those objects on each full
    collection: a walk of the whole heap, during which no thread of the
    worker runs."""
    gc.collect()
    gc.freeze()


def _masked(text: str) -> str:
    """A query string or URL without the e-mails and phones it may carry
    (``?search=``), decoded first so that ``%40`` is seen as ``@``."""
    # Imported here: workers log, after the app (and its path) is loaded.
    from store_project.logging import mask_personal_data

    return mask_personal_data(urllib.parse.unquote_plus(text))


def task_ip_addresses(metadata_uri: str, timeout: float = 2.0) -> list[str]:
    """The private IPv4 addresses of this ECS task, from the task metadata."""
    with urllib.request.urlopen(f"{metadata_uri}/task", timeout=timeout) as response:
        task = json.load(response)
    return [
        address
        for container in task.get("Containers", [])
        for network in container.get("Networks", [])
        for address in network.get("IPv4Addresses", [])
    ]


def allow_own_address(environ=os.environ) -> None:
    """Add this task's or pod's own IP addresses to ``ALLOWED_HOSTS``.

    Load balancers' health checks (ALB target groups on ECS, and on EKS with
    IP targets) name the target by IP in their ``Host`` header, which Django
    would refuse with a 400. On ECS the addresses come from the task metadata
    endpoint; on Kubernetes from ``POD_IP`` (the downward API). Workers are
    forked after this file runs, so the settings they load see the result.
    """
    addresses = []
    metadata_uri = environ.get("ECS_CONTAINER_METADATA_URI_V4", "")
    if metadata_uri:
        try:
            addresses += task_ip_addresses(metadata_uri)
        except (OSError, ValueError) as exc:
            print(f"Could not read the ECS task metadata: {exc}", flush=True)
    if environ.get("POD_IP", "").strip():
        addresses.append(environ["POD_IP"].strip())
    if not addresses:
        return
    hosts = [h for h in environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    for address in addresses:
        if address not in hosts:
            hosts.append(address)
    environ["ALLOWED_HOSTS"] = ",".join(hosts)


allow_own_address()
