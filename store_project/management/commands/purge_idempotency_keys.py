from django.core.management.base import BaseCommand
from django.utils import timezone

from store_project.api.idempotency import LIFETIME
from store_project.models import IdempotencyKey


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key answers older than 24 hours (run daily)."

    def handle(self, *args, **options):
        deleted, _ = IdempotencyKey.objects.filter(
            created_at__lt=timezone.now() - LIFETIME
        ).delete()
        self.stdout.write(f"Deleted {deleted} expired idempotency keys.")
