"""Child processes that end with their parent: no orphaned workers, ever.

A worker whose parent was killed (``kill -9``, OOM killer, a host recycling
the machine) must not live on: a build worker blocks forever writing to a
pipe nobody reads, holding the articles it inherited; a reindex child would
finish a generation nobody loads. Every worker and child calls
`die_with_parent` first thing:

* Linux ``prctl(PR_SET_PDEATHSIG)`` makes the kernel signal the child when
  its parent dies. The signal is `PARENT_GONE` (SIGUSR1), not SIGKILL,
  because the kernel sends it when the *thread* that created the child ends
  (``ProcessPoolExecutor`` starts workers from whichever thread submits
  first, such as a loader thread that then returns): the handler checks
  that the parent *process* is gone before leaving.
* The parent may have died before the ``prctl``, and the signal needs a
  responsive main thread: the parent pid is checked right after the
  ``prctl`` and then every `POLL_SECONDS` by a watchdog thread (also the
  whole mechanism where ``prctl`` is unavailable).

A *graceful* child (the reindex child, which writes a generation folder)
turns SIGTERM and its parent's death into a `Stopped` exception, so the
``except``/``finally`` blocks on the way out run: `store.write_generation`
removes its half-written temporary folder. Other workers just exit.

`stop_children` is the parent's side: on SIGTERM the bot stops its reindex
child and search workers at once instead of waiting for a rebuild to end.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from types import CodeType

PR_SET_PDEATHSIG = 1
PARENT_GONE = signal.SIGUSR1
POLL_SECONDS = 1.0   # how often a watchdog thread compares the parent pid
GRACE_SECONDS = 5.0  # a stopped child's time to clean up before SIGKILL


class Stopped(Exception):
    """A graceful child was told to stop (SIGTERM, or its parent died).

    An `Exception`, not a `BaseException`: it travels back through
    ``ProcessPoolExecutor`` to the parent as a failed rebuild, which the bot
    reports like any other failure.
    """


def parent_pid() -> int:
    """The pid of the process that started this one (as multiprocessing recorded it, else getppid)."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid else os.getppid()


def die_with_parent(graceful: bool = False, poll: float = POLL_SECONDS) -> None:
    """End this process when its parent process ends. Call it in the main thread, first thing.

    `graceful`: SIGTERM and the parent's death raise `Stopped` in the main
    thread, so the caller's cleanup runs; once the caller has returned (or
    after `GRACE_SECONDS`) an orphan exits: nobody is left to take its result.
    Otherwise the process exits at once, and SIGTERM has its default effect
    (a worker forked from a graceful child must not inherit its handler).
    """
    parent = parent_pid()
    caller = sys._getframe(1).f_code if graceful else None
    signal.signal(signal.SIGTERM, _stop_once if graceful else signal.SIG_DFL)

    def on_parent_signal(signum: int, frame: object) -> None:
        if os.getppid() != parent:       # the process, not just the thread that started us
            _leave(graceful)
    signal.signal(PARENT_GONE, on_parent_signal)
    _set_pdeathsig(PARENT_GONE)
    threading.Thread(target=_watch, args=(parent, poll, caller), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:           # it died before the prctl: nobody will signal us
        _leave(graceful)


def _set_pdeathsig(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int, poll: float, caller: CodeType | None) -> None:
    """The parent pid, checked every `poll` s; an orphan leaves (a graceful one after cleaning up)."""
    while os.getppid() == parent:
        time.sleep(poll)
    if caller is not None:
        os.kill(os.getpid(), signal.SIGTERM)   # `Stopped` in the main thread (if not raised yet)
        deadline = time.monotonic() + GRACE_SECONDS
        while _main_thread_runs(caller) and time.monotonic() < deadline:
            time.sleep(0.02)
    os._exit(1)


def _main_thread_runs(code: CodeType) -> bool:
    """Whether the main thread is still inside a call of `code` (its cleanup not finished)."""
    frame = sys._current_frames().get(threading.main_thread().ident)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _leave(graceful: bool) -> None:
    if graceful:
        _stop_once(signal.SIGTERM, None)
    os._exit(1)


def _stop_once(signum: int, frame: object) -> None:
    """SIGTERM in a graceful child: raise `Stopped` once; SIGKILL-like exit if cleanup hangs."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_later, name="stop-grace", daemon=True).start()
    raise Stopped(f"stopped by signal {signal.Signals(signum).name}")


def _exit_later() -> None:
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def stop_children(grace: float = GRACE_SECONDS) -> int:
    """SIGTERM every multiprocessing child of this process now; SIGKILL the ones still running
    `grace` seconds later (from a daemon thread, so the caller, e.g. an event loop, never waits).
    Returns how many were signalled."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    if children:
        threading.Thread(target=_kill_after, args=(children, grace), name="stop-children",
                         daemon=True).start()
    return len(children)


def _kill_after(children: list[multiprocessing.process.BaseProcess], grace: float) -> None:
    pending = {child.sentinel: child for child in children}
    deadline = time.monotonic() + grace
    while pending and (left := deadline - time.monotonic()) > 0:
        for sentinel in multiprocessing.connection.wait(list(pending), timeout=left):
            del pending[sentinel]   # (wait returns as soon as one has ended)
    for child in pending.values():
        child.kill()
