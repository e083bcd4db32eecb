"""Progress lines: per-worker documents/s, bytes read and ETA (local engine); parts done /
total and documents/s from the part markers (any engine, printed by the driver)."""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.parts import PARTS_DIR, PartTask, Progress
from pretrain_clean.pipeline.stats import Stats
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


class _Ticker:
    """A driver thread that calls :meth:`_tick` every ``interval`` seconds while the ``with``
    block runs (when ``enabled``), then :meth:`_finish` if the block ended without an error."""

    def __init__(self, name: str, enabled: bool, interval: float, stream: TextIO | None) -> None:
        self.enabled, self.interval, self.stream = enabled, interval, stream or sys.stderr
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def __enter__(self):  # noqa: ANN204 - the subclass
        if self.enabled:
            self._start = time.monotonic()
            self._begin()
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()
            if exc[0] is None:
                self._finish()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._tick()

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def _begin(self) -> None:
        pass

    def _tick(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        pass


class PartsProgress(_Ticker):
    """While the block runs, a driver thread prints every ``interval`` seconds how many parts
    have their marker (``_parts/part-N.json``, :mod:`pipeline.parts`) and the documents/s they
    account for. It reads only markers, so it works for executors on other machines and for
    outputs on an object store."""

    def __init__(self, label: str, out_dir: str, tasks: list[PartTask], enabled: bool = True,
                 interval: float = 10.0, stream: TextIO = sys.stderr) -> None:
        super().__init__("parts-progress", enabled, interval, stream)
        self.label, self.out_dir = label, out_dir
        self.names = {f"{t.name}.json" for t in tasks}
        self.seen: dict[str, int] = {}
        self._initial: int | None = None

    def _begin(self) -> None:
        self._initial = None
        self.poll()  # parts an earlier run finished do not count towards this run's speed

    def _finish(self) -> None:
        self.poll()
        self._write(self.line() + " · done")

    def poll(self) -> None:
        """Read the markers that appeared since the last poll."""
        for path in storage.list_files(storage.join(self.out_dir, PARTS_DIR), ".json"):
            name = storage.basename(path)
            if name in self.names and name not in self.seen:
                try:
                    self.seen[name] = Stats.from_json(storage.read_text(path)).documents_in
                except (FileNotFoundError, ValueError):
                    continue
        if self._initial is None:
            self._initial = sum(self.seen.values())  # done by an earlier run: not this run's speed

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        docs = sum(self.seen.values())
        rate = (docs - (self._initial or 0)) / elapsed
        return (f"[{self.label}] parts {len(self.seen):,}/{len(self.names):,} · {docs:,} docs"
                f" · {rate:,.0f} docs/s · {_duration(elapsed)}")

    def _tick(self) -> None:
        try:
            self.poll()
        except OSError:
            return  # a listing that failed once is retried at the next tick
        self._write(self.line())


class PhaseProgress(_Ticker):
    """Progress of a job made of named phases (Spark dedup: read and hash, exact, minhash,
    paragraph, write), printed by the driver: one line as each phase ends, and while a phase
    runs, every ``interval`` seconds, its elapsed time and ``detail()`` (e.g. Spark's
    tasks done / total). Costs no Spark job."""

    def __init__(self, label: str, detail: Callable[[], str] | None = None, enabled: bool = True,
                 interval: float = 10.0, stream: TextIO | None = None) -> None:
        super().__init__("phase-progress", enabled, interval, stream)
        self.label, self.detail = label, detail
        self.phase = ""
        self._phase_start = time.monotonic()

    def _finish(self) -> None:
        self._write(f"[{self.label}] done · {_duration(time.monotonic() - self._start)}")

    def start(self, phase: str) -> None:
        """``phase`` runs from now."""
        self.phase, self._phase_start = phase, time.monotonic()

    def end(self, note: str = "") -> None:
        """The current phase finished; ``note`` (e.g. a count) goes on its line."""
        if self.enabled:
            seconds = time.monotonic() - self._phase_start
            self._write(f"[{self.label}] {self.phase} {seconds:.1f} s" + (f" · {note}" if note else ""))

    def _tick(self) -> None:
        detail = self.detail() if self.detail is not None else ""
        self._write(f"[{self.label}] {self.phase} · {_duration(time.monotonic() - self._phase_start)}"
                    + (f" · {detail}" if detail else ""))
