"""A small text progress bar, so the demo needs no extra dependency for one."""

import time
from collections.abc import Callable


class ProgressBar:
    """Redraws one line on a terminal at most ten times a second.

    Off a terminal (CI logs, pipes) it writes one line when it is done, so
    logs are not flooded with carriage returns.
    """

    width = 30

    def __init__(
        self,
        label: str,
        total: int,
        write: Callable[[str], None] | None = None,
        *,
        live: bool = False,
    ):
        self.label = label
        self.total = max(total, 0)
        self.write = write
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._live = live and write is not None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._live:
            now = time.monotonic()
            if now - self._drawn_at >= 0.1:
                self._drawn_at = now
                self._draw("\r")

    def close(self) -> None:
        if self.write is None:
            return
        self.done = max(self.done, self.total)
        self._draw("\r" if self._live else "")
        self.write("\n")
        self.write = None

    def _draw(self, prefix: str) -> None:
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.width * min(fraction, 1.0))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        self.write(
            f"{prefix}{self.label:<16} [{bar}] {fraction:4.0%} "
            f"{self.done:,}/{self.total:,} {elapsed:5.1f}s"
        )


def no_progress(label: str, total: int) -> ProgressBar:
    """A bar that draws nothing: the default for library callers and tests."""
    return ProgressBar(label, total)
