"""Profile one API request in-process: ``python -m bench.profile NAME [N]``.

Runs the request 2 x N times (default 300) through Django's test client under the
store's settings against the database of ``DATABASE_URL`` (a bench database
kept with ``BENCH_KEEP_DB=1``, whose workdir is ``BENCH_WORKDIR``), prints the
mean wall and CPU time per request, the SQL queries, and cProfile's top functions by
cumulative and by own time. NAME: products, orders, create, confirm.
"""

import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "store_project.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from sales.models import Order  # noqa: E402


def main() -> None:
    name = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    workdir = Path(os.environ["BENCH_WORKDIR"])
    state = json.loads((workdir / "state.json").read_text())
    http = HttpClient(
        HTTP_AUTHORIZATION=f"Token {state['token']}", HTTP_X_FORWARDED_PROTO="https"
    )
    products = [int(x) for x in (workdir / "products.txt").read_text().split()]
    client = int((workdir / "clients.txt").read_text().split()[0])
    body = json.dumps(
        {
            "client": client,
            "lines": [{"product": p, "quantity": 1} for p in products[:3]],
        }
    )

    def drafts():
        # Drafts of the "many products" pool (bench.prepare pools, made by a
        # run that confirms), whose stock is plenty: confirming them succeeds.
        pool = json.loads((workdir / "pools.json").read_text())["many"]["orders"]
        yield from (
            Order.objects.filter(status="draft", pk__in=pool)
            .order_by("pk")
            .values_list("pk", flat=True)[: 2 * count + 10]
        )

    pending = drafts()
    requests = {
        "products": lambda: http.get("/api/v1/products/?page_size=50"),
        "orders": lambda: http.get("/api/v1/orders/?page_size=50"),
        "create": lambda: http.post(
            "/api/v1/orders/", body, content_type="application/json"
        ),
        "confirm": lambda: http.post(f"/api/v1/orders/{next(pending)}/confirm/"),
    }
    send = requests[name]
    for _ in range(5):
        send()
    with CaptureQueriesContext(connection) as captured:
        response = send()
    print(response.status_code, len(captured), "queries:")
    for query in captured:
        print("   ", query["sql"][:160])
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        send()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # CPU time is this process's own work, less disturbed by a busy machine.
    print(
        f"{name}: {wall / count * 1000:.2f} ms wall, "
        f"{cpu / count * 1000:.2f} ms CPU per request (client and server)"
    )
    profiler = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
    profiler.enable()
    for _ in range(count):
        send()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
