"""A progress bar on stderr for long builds, silent when stderr is not a terminal
unless forced, so logs and CI output stay clean."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, stream: TextIO = sys.stderr, force: bool = False,
                 min_interval: float = 0.1) -> None:
        self.label = label
        self.stream = stream
        self.enabled = force or stream.isatty()
        self.min_interval = min_interval
        self.started = time.perf_counter()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self._last < self.min_interval:
            return
        self._last = now
        frac = done / total if total else 1.0
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        elapsed = now - self.started
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} articles {elapsed:5.1f}s")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
