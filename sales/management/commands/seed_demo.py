import argparse
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sales.seeding import (
    DemoRefused,
    Sizes,
    flush_store,
    invariant_violations,
    seed_demo,
)
from sales.seeding.progress import ProgressBar

# Smaller demos are done before a progress bar would be worth reading.
PROGRESS_FROM_ORDERS = 1000


class Command(BaseCommand):
    help = (
        "Create a realistic demo store: categories, products and their stock, "
        "clients, employees, orders in every status over the last months, and "
        "the demo logins manager, clerk and warehouse. Does nothing if the store "
        "already has data (use --flush to start over). Refused when "
        "DJANGO_ENV=prod unless --force."
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        for name, text in [
            ("categories", "number of categories, at most 16"),
            ("products", "number of products"),
            ("clients", "number of clients"),
            ("employees", "number of employees, the 3 with demo logins included"),
            ("orders", "number of orders"),
            ("months", "how many months of order history"),
            ("locations", "number of locations: MAIN, a store, a warehouse"),
            ("suppliers", "suppliers bought from (0: no purchasing), at most 3"),
        ]:
            default = getattr(defaults, name)
            parser.add_argument(
                f"--{name}",
                type=int,
                default=default,
                help=f"{text} (default {default})",
            )
        parser.add_argument(
            "--seed",
            type=int,
            help="seed of the random draw; the same seed gives the same store",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="first delete ALL orders, stock movements, products, categories, "
            "clients and employees, and the demo logins",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask before --flush deletes data",
        )
        parser.add_argument(
            "--password",
            help="password of the demo logins (default: $DEMO_PASSWORD, else a "
            "generated one, printed once)",
        )
        parser.add_argument(
            "--force", action="store_true", help="run even when DJANGO_ENV=prod"
        )
        parser.add_argument(
            "--bulk",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="write with PostgreSQL COPY instead of the services (default: "
            "only on PostgreSQL for 2000 orders or more)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="afterwards check the ledger, totals and history over the whole "
            "store, and fail if any rule is broken",
        )

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        self.show_progress = (
            self.verbosity >= 1 and options["orders"] >= PROGRESS_FROM_ORDERS
        )
        if settings.DJANGO_ENV == "prod" and not options["force"]:
            raise CommandError(
                "Refusing to seed demo data with DJANGO_ENV=prod; "
                "pass --force if you really mean it."
            )
        sizes = Sizes(**{name: options[name] for name in Sizes.__dataclass_fields__})
        if problems := sizes.problems():
            raise CommandError("; ".join(problems))
        if options["flush"]:
            self._flush(options["interactive"])
        password = options["password"] or os.environ.get("DEMO_PASSWORD") or None
        try:
            result = seed_demo(
                sizes=sizes,
                seed=options["seed"],
                password=password,
                bulk=options["bulk"],
                progress=self._progress,
            )
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if not result.seeded:
            counts = result.counts
            self._say(
                f"The store already has data ({counts['products']} products, "
                f"{counts['clients']} clients, {counts['orders']} orders); "
                "no demo seeded. Use --flush to start over."
            )
        else:
            self._summary(result, sizes, password_given=password is not None)
        if options["check"]:
            self._check()

    def _flush(self, interactive: bool) -> None:
        if interactive and sys.stdin.isatty():
            answer = input(
                "This deletes every order, stock movement, product, category, "
                f"client and employee in {settings.DATABASES['default']['NAME']}. "
                "Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Flush cancelled; nothing was changed.")
        before = flush_store()
        self._say(
            "Flushed the store ("
            + ", ".join(f"{n:,} {what}" for what, n in before.items() if n)
            + ")."
            if any(before.values())
            else "Flushed the store (it was empty)."
        )

    def _summary(self, result, sizes: Sizes, *, password_given: bool) -> None:
        counts, statuses = result.counts, result.statuses
        self._say(
            self.style.SUCCESS(
                f"Demo store seeded in {result.seconds:.1f} s "
                f"(seed {result.seed}, written {'with COPY' if result.method == 'copy' else 'through the services'}):"  # noqa: E501
            )
        )
        self._say(
            f"  {counts['categories']:,} categories, {counts['products']:,} "
            f"products, {counts['clients']:,} clients, {counts['employees']:,} "
            "employees"
        )
        self._say(
            f"  {counts['orders']:,} orders: "
            + ", ".join(f"{n:,} {status}" for status, n in statuses.items())
        )
        self._say(
            f"  {counts['order lines']:,} order lines, "
            f"{counts['status changes']:,} status changes, "
            f"{counts['stock movements']:,} stock movements, "
            f"{counts['returns']:,} returns"
        )
        defaults = Sizes()
        again = "".join(
            f" --{name} {value}"
            for name, value in vars(sizes).items()
            if value != getattr(defaults, name)
        )
        self._say(f"  same store again: seed_demo --flush --seed {result.seed}{again}")
        created = [(u, role) for u, role, new in result.logins if new]
        kept = [u for u, _, new in result.logins if not new]
        if created:
            # Printed whatever the verbosity: it is shown this once only.
            self.stdout.write(
                self.style.WARNING("Demo logins (shown once; admin at /admin/):")
            )
            secret = (
                "the password given (--password or DEMO_PASSWORD)"
                if password_given
                else result.generated_password
            )
            for username, role in created:
                self.stdout.write(f"  {username:<10} {secret}   role: {role}")
        if kept:
            self._say(f"  existing logins kept with their password: {', '.join(kept)}")

    def _check(self) -> None:
        violations = invariant_violations()
        if violations:
            raise CommandError(
                "Invariants broken: "
                + "; ".join(
                    f"{rule}: {len(ids)} rows (ids {ids[:5]})"
                    for rule, ids in violations.items()
                )
            )
        self._say("Checked: stock = ledger, totals, timestamps and history all hold.")

    def _progress(self, label: str, total: int) -> ProgressBar:
        if not self.show_progress:
            return ProgressBar(label, total)
        return ProgressBar(
            label, total, write=self._write_progress, live=self.stderr.isatty()
        )

    def _write_progress(self, text: str) -> None:
        self.stderr.write(text, ending="")
        self.stderr.flush()

    def _say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(text)
