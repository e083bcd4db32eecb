"""A throttled progress line for local runs: documents/s, bytes read, ETA."""
from __future__ import annotations

import sys
import time
from typing import TextIO

from pretrain_clean.pipeline.parts import Progress
from pretrain_clean.pipeline.readers import CountingReader


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class ProgressLine(Progress):
    """Prints at most every ``interval`` seconds; ETA from raw input bytes read vs total."""

    def __init__(self, label: str, total_bytes: int, interval: float = 2.0, stream: TextIO = sys.stderr) -> None:
        self.label = label
        self.total_bytes = total_bytes
        self.interval = interval
        self.stream = stream
        self.documents = 0
        self.done_bytes = 0
        self._reader: CountingReader | None = None
        self._start = time.monotonic()
        self._last = 0.0

    def on_open(self, reader: CountingReader) -> None:
        if self._reader is not None:
            self.done_bytes += self._reader.consumed
        self._reader = reader

    def on_documents(self, count: int) -> None:
        self.documents += count
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self._start, 1e-9)
        read = self.done_bytes + (self._reader.consumed if self._reader else 0)
        text = f"[{self.label}] {self.documents:,} docs · {self.documents / elapsed:,.0f} docs/s"
        if self.total_bytes:
            text += f" · {read / 1e6:,.1f}/{self.total_bytes / 1e6:,.1f} MB"
            if read:
                text += f" · ETA {_duration(elapsed * (self.total_bytes - read) / read)}"
        return text

    def finish(self) -> None:
        """Print the final line."""
        self.stream.write(self.line() + " · done\n")
        self.stream.flush()
