from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customers.services import clients_enforce_retention


class Command(BaseCommand):
    help = (
        "Anonymize every client with no open order whose last order (or, "
        "without orders, its creation) is older than --inactive-days "
        "(default CLIENT_RETENTION_DAYS). Batched in short transactions; "
        "running it again anonymizes nobody twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--inactive-days",
            type=int,
            default=None,
            help=f"days without activity (default {settings.CLIENT_RETENTION_DAYS})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="only count the clients that would be anonymized",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=200,
            help="clients per transaction (default 200)",
        )

    def handle(self, *args, inactive_days, dry_run, batch_size, **options):
        if inactive_days is None:
            inactive_days = settings.CLIENT_RETENTION_DAYS
        if not 1 <= inactive_days <= 36_500:
            raise CommandError("--inactive-days must be between 1 and 36500.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = clients_enforce_retention(
            inactive_days=inactive_days, dry_run=dry_run, batch_size=batch_size
        )
        if dry_run:
            self.stdout.write(
                f"Dry run: {_clients(result.due)} inactive for more than "
                f"{inactive_days} days would be anonymized."
            )
            return
        self.stdout.write(
            f"Anonymized {_clients(result.anonymized)} inactive for more than "
            f"{inactive_days} days"
            + (f" ({result.skipped} skipped: active again)." if result.skipped else ".")
        )


def _clients(count: int) -> str:
    return f"{count} client{'' if count == 1 else 's'}"
