"""Move audit entries older than a date into a compressed file, then delete them.

Nothing runs this by default: the store keeps its whole history. A shop that
must bound it runs, say, ``archive_audit_log --before 2020-01-01 --output
audit-2019.jsonl.gz`` and keeps the file. The entries are written (one JSON
object per line, gzip) and flushed to disk before the same transaction
deletes them through the append-only trigger's one explicit bypass, so a
failure leaves them in the table; the command logs what it removed.
"""

import gzip
import json
import logging
import os
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer

logger = logging.getLogger("audit.archive")


class Command(BaseCommand):
    help = "Archive audit entries before a date into a .jsonl.gz file and delete them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--before", required=True, help="YYYY-MM-DD (store time zone), exclusive"
        )
        parser.add_argument("--output", required=True, help="file to create")
        parser.add_argument("--dry-run", action="store_true", help="count only")

    def handle(self, *args, before, output, dry_run, **options):
        try:
            day = datetime.strptime(before, "%Y-%m-%d").date()
        except ValueError as exc:
            raise CommandError("--before must be a date, YYYY-MM-DD.") from exc
        cutoff = timezone.make_aware(datetime.combine(day, time.min))
        entries = AuditEntry.objects.filter(at__lt=cutoff).order_by("id")
        if dry_run:
            self.stdout.write(f"{entries.count()} entries before {day}.")
            return
        if os.path.exists(output):
            raise CommandError(f"{output} exists; the archive never overwrites.")
        with transaction.atomic():
            # Entries are immutable, so the rows written are the rows deleted:
            # the range is fixed by the highest id seen.
            last = entries.values_list("id", flat=True).last()
            if last is None:
                self.stdout.write(f"No entries before {day}.")
                return
            archived = entries.filter(id__lte=last)
            count = 0
            with gzip.open(output, "wt", encoding="utf-8") as archive:
                for entry in archived.iterator(chunk_size=2000):
                    data = AuditEntrySerializer(entry).data
                    archive.write(json.dumps(data, cls=DjangoJSONEncoder) + "\n")
                    count += 1
            with open(output, "rb") as written:  # on disk before the delete
                os.fsync(written.fileno())
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL store.archiving_audit_log = 'on'")
            deleted, _ = archived.delete()
        logger.info("archived %d audit entries before %s into %s", deleted, day, output)
        self.stdout.write(f"Archived {count} entries before {day} into {output}.")
