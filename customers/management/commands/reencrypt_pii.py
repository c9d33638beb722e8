from django.core.management.base import BaseCommand, CommandError

from customers.services import clients_reencrypt


class Command(BaseCommand):
    help = (
        "Encrypt every client's phone and address again with the first key of "
        "FIELD_ENCRYPTION_KEYS (after putting a new key first). Batched, and "
        "safe to run again or to resume: rows already under that key are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="clients per transaction (default 500)",
        )

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = clients_reencrypt(batch_size=batch_size)
        self.stdout.write(
            f"Checked {result.checked} clients; re-encrypted {result.reencrypted} "
            "with the first key."
        )
        if result.undecryptable:
            ids = ", ".join(f"#{pk}" for pk in result.undecryptable)
            raise CommandError(
                f"{len(result.undecryptable)} clients hold data that no key "
                f"decrypts, left as they are: {ids}. Add the key that encrypted "
                "them to FIELD_ENCRYPTION_KEYS and run again."
            )
