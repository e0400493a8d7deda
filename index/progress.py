"""A progress bar on stderr for long builds, silent when stderr is not a terminal
unless forced, so logs and CI output stay clean.

It shows the articles done, the elapsed time and an ETA from the rate so
far. A bounded build streams the corpus, so its total is an estimate (one
article per text file or JSONL line, `index.pipeline.estimate_articles`):
the bar may end a little short of it, never past it.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def eta(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate so far; None before there is a rate."""
    if done <= 0 or elapsed <= 0 or total <= done:
        return None if done <= 0 or elapsed <= 0 else 0.0
    return elapsed * (total - done) / done


def clock(seconds: float) -> str:
    """12s, 3m05s, 1h02m."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


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
        frac = min(done / total, 1.0) if total else 1.0
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        elapsed = now - self.started
        left = eta(done, total, elapsed)
        tail = f"ETA {clock(left)}" if left is not None else "ETA ?"
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} articles {clock(elapsed)} {tail}   ")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
