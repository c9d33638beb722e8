"""Where a request's CPU goes under load: ``python -m bench.spy [NAME] [SECONDS]``.

Starts the store as ``bench/bench.py`` does (the image's gunicorn, the
production task definition's environment) on a database kept by a bench run
(``BENCH_KEEP_DB=1``; ``DATABASE_URL`` names it, ``BENCH_WORKDIR`` is the
run's workdir), loads one endpoint with wrk, and:

1. measures the CPU time per request of gunicorn's processes and of the
   database's PostgreSQL backends, without a profiler attached;
2. samples every worker with py-spy (``--gil``: the thread running Python)
   during a second run of the same load, and sorts each sample into the part
   of the request it was in (authentication, throttles, the query ...);
3. prints each part's share of the samples and the milliseconds per request
   that share is of the measured CPU time.

NAME: products (default), orders, or reference (the reference view, for
comparison). py-spy is not a requirement of the
project: ``.venv/bin/pip install py-spy``.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench import (
    CLOCK_TICKS,
    PORT,
    ROOT,
    CpuMeter,
    Server,
    app_env,
    measured,
    wrk,
)

PATHS = {
    "products": "/api/v1/products/?page_size=50",
    "orders": "/api/v1/orders/?page_size=50",
    "reference": "/reference/products/",
}
REFERENCE_ENV = {"DJANGO_SETTINGS_MODULE": "bench.settings"}
RATE = 100  # samples per second and worker

# A sample belongs to the first part whose marker is one of its frames; the
# order puts the narrower parts first (a pool checkout inside authentication's
# query is the pool's, the rest of authentication is authentication's).
PARTS: list[tuple[str, tuple[str, ...]]] = [
    (
        "database connection: pool checkout and return",
        ("BaseDatabaseWrapper.connect", "BaseDatabaseWrapper.close"),
    ),
    ("gunicorn access log (JSON line)", ("JsonAccessLogger.access",)),
    ("authentication (token, user, permissions)", ("APIView.perform_authentication",)),
    ("permission checks", ("APIView.check_permissions",)),
    ("throttles", ("APIView.check_throttles",)),
    ("DRF content negotiation", ("APIView.perform_content_negotiation",)),
    ("page count", ("Paginator.count",)),
    ("filters and queryset", ("GenericAPIView.filter_queryset", "get_queryset")),
    ("page query: building it (values_list)", ("QuerySet.values_list",)),
    ("page query: compiling, running, reading rows", ("paginate_queryset",)),
    ("rows to dicts (representation)", ("represent_rows",)),
    ("pagination envelope (links)", ("GenericAPIView.get_paginated_response",)),
    ("JSON rendering", ("Response.rendered_content",)),
    ("URL resolving", ("BaseHandler.resolve_request",)),
    ("middleware", ("Middleware.process_view",)),
    (
        "the view and DRF's dispatch around it (the rest)",
        ("APIView.dispatch", "ViewSetMixin.as_view", "BaseHandler._get_response"),
    ),
    ("middleware", ("Middleware.", "MiddlewareMixin.")),
    (
        "Django handler: request, signals, response",
        ("WSGIHandler.__call__", "HttpResponseBase.close"),
    ),
    (
        "gunicorn: parsing the request, writing the response",
        ("ThreadWorker.handle",),
    ),
    ("gunicorn: event loop and thread pool", ("",)),
]
DRIVER = ("psycopg/", "django/db/backends/", "psycopg_pool/")
ORM = ("django/db/models/",)


def classify(frames: list[str]) -> str:
    for name, markers in PARTS:
        for frame in frames:
            function = frame.split(" (", 1)[0]
            if any(marker in function for marker in markers):
                return name
    return PARTS[-1][0]


def fold(lines: list[str]) -> dict[str, collections.Counter]:
    """py-spy's raw output (one ``frame;frame;... count`` per stack) by part:
    samples in all, in the database driver, in the ORM; and the middleware's
    samples by class, under ``"middleware by class"``."""
    parts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        name = classify(frames)
        part = parts[name]
        part["samples"] += int(count)
        if any(any(d in frame for d in DRIVER) for frame in frames):
            part["driver"] += int(count)
        elif any(any(o in frame for o in ORM) for frame in frames):
            part["orm"] += int(count)
        if name == "middleware":
            owner = [f.split(".")[0] for f in frames if "Middleware" in f]
            parts["middleware by class"][owner[-1]] += int(count)
    return parts


def table(
    parts: dict[str, collections.Counter], cpu_ms: float, system_ms: float = 0.0
) -> str:
    """Each part's share of the samples, as ms of ``cpu_ms`` (user time: the
    samples see Python, not the kernel), and the kernel's time on its own."""
    by_class = parts.pop("middleware by class", collections.Counter())
    total = sum(part["samples"] for part in parts.values())
    lines = [
        "| part | share | ms/req | of which ORM (building, compiling SQL) "
        "| of which database driver (psycopg, Django's backend) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in sorted(parts, key=lambda n: -parts[n]["samples"]):
        part = parts[name]
        ms = part["samples"] / total * cpu_ms
        orm = part["orm"] / total * cpu_ms
        driver = part["driver"] / total * cpu_ms
        lines.append(
            f"| {name} | {part['samples'] / total:.1%} | {ms:.2f} "
            f"| {orm:.2f} | {driver:.2f} |"
        )
    if system_ms:
        lines.append(
            f"| kernel: system calls (sockets, polls, GIL hand-offs) | | "
            f"{system_ms:.2f} | | |"
        )
    lines.append(f"| all (server CPU per request) | | {cpu_ms + system_ms:.2f} | | |")
    if by_class:
        lines += ["", "| middleware | ms/req |", "| --- | --- |"]
        lines += [
            f"| {owner} | {count / total * cpu_ms:.2f} |"
            for owner, count in by_class.most_common()
        ]
    return "\n".join(lines)


def spy_command(seconds: int) -> list[str]:
    exe = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    if not Path(exe).exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")
    # --gil: only the thread holding the GIL, i.e. running Python, not waiting.
    return [exe, "record", "--gil", "-r", str(RATE), "-d", str(seconds), "-f", "raw"]


def user_and_system(pids: list[int]) -> tuple[float, float]:
    """Seconds of user and of kernel CPU time of these processes so far."""
    user = system = 0.0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        user += int(fields[11]) / CLOCK_TICKS
        system += int(fields[12]) / CLOCK_TICKS
    return user, system


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "products"
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    path = PATHS[name]
    workdir = Path(os.environ["BENCH_WORKDIR"])
    db_url = os.environ["DATABASE_URL"]
    token = json.loads((workdir / "state.json").read_text())["token"]
    env, _ = app_env(db_url)
    app = "store_project.wsgi:application"
    if name == "reference":
        app, env = "bench.reference:application", env | REFERENCE_ENV
    server = Server(app, env, workdir, "spy", PORT)
    server.start()
    out = Path(tempfile.mkdtemp(prefix="store-spy-"))
    try:
        wrk(server.port, path, token=token, duration=3)
        meter = CpuMeter(server, db_url.rsplit("/", 1)[-1])
        before = user_and_system(server.pids())
        clean, _ = measured(
            meter, lambda: wrk(server.port, path, token=token, duration=seconds)
        )
        after = user_and_system(server.pids())
        load = threading.Thread(
            target=wrk,
            args=(server.port, path),
            kwargs={"token": token, "duration": seconds + 3},
        )
        load.start()
        time.sleep(1)
        spies = [
            subprocess.Popen(
                [*spy_command(seconds), "-o", str(out / f"{pid}.txt"), f"--pid={pid}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in server.workers()
        ]
        for spy in spies:
            spy.wait()
        load.join()
    finally:
        server.stop()
    lines = [line for f in out.glob("*.txt") for line in f.read_text().splitlines()]
    requests = clean.requests
    user_ms = (after[0] - before[0]) * 1000 / requests
    system_ms = (after[1] - before[1]) * 1000 / requests
    samples = sum(int(x.rpartition(" ")[2]) for x in lines if x)
    print(
        f"{name}: {clean.rate:,.0f} req/s; CPU per request: gunicorn "
        f"{clean.cpu_ms:.2f} ms ({user_ms:.2f} user, {system_ms:.2f} kernel), "
        f"PostgreSQL backends {clean.pg_cpu_ms:.2f} ms (others on the machine: "
        f"{clean.others:.1f} cores); {samples:,} samples in {out}\n"
    )
    print(table(fold(lines), user_ms, system_ms))


if __name__ == "__main__":
    main()
