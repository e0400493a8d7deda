"""`python -m bot` as a subprocess, as a user would start it (used by the tests and bench/).

`BotProcess` builds a clean environment (nothing leaks in from the developer's
shell or `.env`), reads the bot's log lines in a thread so a caller can wait for
one ("Index ready", "Saved channel post …") instead of sleeping, and stops
the bot with SIGTERM, checking that it exits cleanly.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path, stdin: bool = False) -> None:
        base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
        self.env = {**base, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "ENV_FILE": str(cwd / "no.env"),
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", **env}
        self.lines: list[str] = []
        self.arrived: list[float] = []          # time.time() each line was read
        self._eof = False
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=cwd, env=self.env, text=True, encoding="utf-8",
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdin else subprocess.DEVNULL, stderr=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self.arrived.append(time.time())
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    @property
    def log(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_log(self, pattern: str, timeout: float = 20.0, start: int = 0) -> str:
        """The first log line (from line `start` on) matching the regex `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    if regex.search(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof:
                    raise AssertionError(f"no log line matching {pattern!r}; log:\n" + "\n".join(self.lines))
                self._cond.wait(remaining)

    def seen_at(self, pattern: str, timeout: float = 20.0) -> float:
        """When (time.time(), as read here) the first log line matching `pattern` arrived."""
        line = self.wait_log(pattern, timeout)
        with self._cond:
            return self.arrived[self.lines.index(line)]

    def mark(self) -> int:
        """How many log lines there are now (pass as `start` to wait_log)."""
        with self._cond:
            return len(self.lines)

    def converse(self, text: str, timeout: float = 60.0) -> str:
        """Feed `text` on stdin, close it, and return all of stdout once the bot has exited."""
        watchdog = threading.Timer(timeout, self.proc.kill)
        watchdog.start()
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.close()
            out = self.proc.stdout.read()
            self.proc.wait()
        finally:
            watchdog.cancel()
        return out

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"the bot did not stop within {timeout}s of SIGTERM; log:\n{self.log}")
