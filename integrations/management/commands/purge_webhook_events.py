"""``manage.py purge_webhook_events``: forget events delivered long ago."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.services import events_purge


class Command(BaseCommand):
    help = (
        "Delete the events (with their deliveries) older than the retention "
        "period whose every delivery is delivered or failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (WEBHOOK_RETENTION_DAYS, 30).",
        )

    def handle(self, *args, days=None, **options):
        days = settings.WEBHOOK_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        purged = events_purge(before=timezone.now() - timedelta(days=days))
        self.stdout.write(f"Purged {purged} webhook events older than {days} days.")
