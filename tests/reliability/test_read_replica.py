"""The dashboard on a real streaming replica; the API on the primary.

A throwaway primary (initdb, from the embedded server's binaries) and its
streaming replica (``pg_basebackup -R``, another port). With the replica's
replay paused, a product made on the primary afterwards is not on the
dashboard (it was answered from the replica) but is in the API (the
primary). With the replica stopped, the dashboard falls back to the primary,
with one log line.
"""

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from .test_db_outage import (
    CREATE_MANAGER,
    SYSTEM_USER,
    Cluster,
    manage,
    postgres_bin,
    server_env,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

MAKE_LOW_STOCK = """
from catalog.models import Category
from catalog.services import category_create, product_create
category = Category.objects.first() or category_create(name="Shelf")
product_create(category=category, name="{name}", unit_price="3.50", reorder_level=2)
"""

DASHBOARD = """
from django.contrib.auth.models import User
from django.test import Client, override_settings
# No collectstatic here: plain static URLs instead of the build's manifest.
override_settings(
    STORAGES={"staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }}
).enable()
User.objects.filter(username="outage-manager").update(is_staff=True)
client = Client()
client.force_login(User.objects.get(username="outage-manager"))
page = client.get("/admin/", HTTP_HOST="127.0.0.1")
assert page.status_code == 200, page.status_code
print(page.content.decode())
"""

PRODUCTS = """
from django.contrib.auth.models import User
from rest_framework.test import APIClient
client = APIClient()
client.force_authenticate(User.objects.get(username="outage-manager"))
answer = client.get("/api/v1/products/?search=Late", HTTP_HOST="127.0.0.1")
print(answer.status_code, [p["name"] for p in answer.json()["results"]])
"""

# The reports read the replica too (the inventory report lists every product).
REPORT = """
from django.contrib.auth.models import User
from rest_framework.test import APIClient
client = APIClient()
client.force_authenticate(User.objects.get(username="outage-manager"))
answer = client.get("/api/v1/reports/inventory/", HTTP_HOST="127.0.0.1")
print(answer.status_code, sorted(row["name"] for row in answer.json()["rows"]))
"""


def sql(cluster: Cluster, query: str):
    with psycopg.connect(
        host="127.0.0.1", port=cluster.port, user="postgres", dbname="store",
        autocommit=True,
    ) as conn:  # fmt: skip
        return conn.execute(query).fetchall()


class Replica(Cluster):
    def base_backup(self, primary: Cluster) -> None:
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream",
            "--checkpoint=fast",
        )  # fmt: skip


@pytest.fixture(scope="module")
def clusters():
    bin_dir = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="replica-pg-"))
    for name in ("primary", "replica"):
        (base / name).mkdir()
    primary = Cluster(bin_dir, base / "primary")
    replica = Replica(bin_dir, base / "replica")
    if SYSTEM_USER and primary.as_postgres:
        shutil.chown(base, SYSTEM_USER, SYSTEM_USER)
    try:
        primary.init()
        primary.start()
        primary.create_database()
        env = server_env(primary, pool=False)
        manage("migrate", "--noinput", env=env)
        manage("shell", "-c", CREATE_MANAGER, env=env)
        manage("shell", "-c", MAKE_LOW_STOCK.format(name="Early-1"), env=env)
        replica.base_backup(primary)
        replica.start()
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            with contextlib.suppress(subprocess.SubprocessError):
                cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def both(primary: Cluster, replica: Cluster) -> dict:
    return {**server_env(primary, pool=False), "DATABASE_REPLICA_URL": replica.url}


def test_the_dashboard_reads_the_replica_and_falls_back_to_the_primary(clusters):
    primary, replica = clusters
    assert sql(replica, "SELECT pg_is_in_recovery()") == [(True,)]
    env = both(primary, replica)

    # The replica has what was there before it was paused, not what came after.
    sql(replica, "SELECT pg_wal_replay_pause()")
    manage("shell", "-c", MAKE_LOW_STOCK.format(name="Late-2"), env=env)
    on_primary = sql(primary, "SELECT count(*) FROM catalog_product")
    assert on_primary == [(2,)]
    assert sql(replica, "SELECT count(*) FROM catalog_product") == [(1,)]

    page = manage("shell", "-c", DASHBOARD, env=env)
    assert "Low stock (1)" in page
    assert "Early-1" in page and "Late-2" not in page
    # Everything else reads the primary: the API sees the new product.
    api = manage("shell", "-c", PRODUCTS, env=env).splitlines()
    assert "200 ['Late-2']" in api
    report = manage("shell", "-c", REPORT, env=env).splitlines()
    assert "200 ['Early-1']" in report

    replica.stop()
    started = time.monotonic()
    page = manage("shell", "-c", DASHBOARD, env=env)
    assert "Low stock (2)" in page
    assert "Late-2" in page
    warnings = [line for line in page.splitlines() if "read replica did not" in line]
    assert len(warnings) == 1, page[-2000:]
    assert time.monotonic() - started < 60
