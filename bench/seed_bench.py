"""Benchmark: seed a 100,000-order demo store on PostgreSQL, then check it.

    .venv/bin/python bench/seed_bench.py            # 100,000 orders, COPY path
    .venv/bin/python bench/seed_bench.py --orders 20000 --no-bulk --limit 0

Creates a throwaway database on the server (default: the local one, as user
postgres), migrates it, times ``manage.py seed_demo``, checks the bookkeeping
invariants over the whole store (stock = sum of the ledger for every product,
totals, status timestamps, history, sale and cancellation movements), prints
the figures and drops the database. Exits non-zero if an invariant is broken
or the seeding took longer than ``--limit`` seconds (30 by default; 0: none).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--employees", type=int, default=25)
    parser.add_argument("--categories", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bulk", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds; 0: none")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name ($BENCH_POSTGRES)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    name = f"store_seed_bench_{os.getpid()}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        return run(args, f"{args.server}/{name}")
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        if args.keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
                )


def run(args, url: str) -> int:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_ENV="dev",
        DJANGO_SETTINGS_MODULE="store_project.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sales.seeding import invariant_violations

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        f"seed_demo --orders {args.orders:,} --products {args.products:,} "
        f"--clients {args.clients:,} ({'COPY' if args.bulk else 'services'}) "
        f"on PostgreSQL {server}, {os.cpu_count()} CPUs"
    )
    started = time.perf_counter()
    call_command(
        "seed_demo",
        orders=args.orders,
        products=args.products,
        clients=args.clients,
        employees=args.employees,
        categories=args.categories,
        seed=args.seed,
        bulk=args.bulk,
        password="bench-only-password",
    )
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    violations = invariant_violations()
    checked = time.perf_counter() - started
    print(f"seeding: {seeded:.1f} s; invariant check: {checked:.1f} s")
    for rule, ids in violations.items():
        print(f"BROKEN: {rule}: {len(ids)} rows (ids {ids[:5]} ...)")
    if violations:
        return 1
    print("invariants hold: stock = ledger for every product, totals, history")
    if args.limit and seeded > args.limit:
        print(f"TOO SLOW: {seeded:.1f} s > {args.limit:.0f} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
