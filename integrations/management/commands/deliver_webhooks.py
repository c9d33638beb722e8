"""``manage.py deliver_webhooks``: the webhook worker, until SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand

from integrations.worker import Worker


class Command(BaseCommand):
    help = (
        "Deliver webhook events until SIGTERM or SIGINT (the batch under way is "
        "finished first); --once delivers what is due now and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Deliver what is due now, then exit."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Deliveries claimed and sent together (WEBHOOK_BATCH_SIZE, 10).",
        )

    def handle(self, *args, once=False, batch_size=None, **options):
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        worker = Worker(batch_size=batch_size)
        try:
            total = worker.run(stop=stop, once=once)
        finally:
            worker.close()
        self.stdout.write(f"Delivered or attempted {total} webhook deliveries.")
