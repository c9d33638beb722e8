"""A real HTTP receiver for webhooks: a threaded http.server on 127.0.0.1."""

import contextlib
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self):
        return json.loads(self.body)

    def signature_valid(self, secret: str) -> bool:
        parts = dict(
            item.split("=", 1) for item in self.headers["X-Store-Signature"].split(",")
        )
        expected = hmac.new(
            secret.encode(), f"{parts['t']}.".encode() + self.body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(parts["v1"], expected)


# What the receiver answers a request: (status, body, seconds to wait first).
Answer = tuple[int, bytes, float]


@dataclass
class Receiver:
    """Records every request; ``answer`` decides what each one gets back."""

    answer: Callable[[Received], Answer] = lambda request: (200, b"ok", 0.0)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def handle(self):
                # The worker may close a kept-alive connection at any time.
                with contextlib.suppress(OSError):
                    super().handle()

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                request = Received(
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=self.rfile.read(length),
                    at=time.monotonic(),
                )
                with receiver.lock:
                    receiver.received.append(request)
                status, body, delay = receiver.answer(request)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker gave up waiting and closed the connection

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def event_ids(self) -> list[int]:
        with self.lock:
            return [int(r.headers["X-Store-Event-Id"]) for r in self.received]
