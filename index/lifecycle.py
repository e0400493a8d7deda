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
RESULT_SECONDS = 0.5  # after its cleanup, for a stopped child's result to reach its parent


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
    global _caller, _graceful_pid
    parent = parent_pid()
    _caller = sys._getframe(1).f_code if graceful else None
    _graceful_pid = os.getpid() if graceful else 0
    signal.signal(signal.SIGTERM, _stop_once if graceful else signal.SIG_DFL)

    def on_parent_signal(signum: int, frame: object) -> None:
        if os.getppid() != parent:       # the process, not just the thread that started us
            _leave(graceful)
    signal.signal(PARENT_GONE, on_parent_signal)
    _set_pdeathsig(PARENT_GONE)
    threading.Thread(target=_watch, args=(parent, poll, graceful), name="parent-watch", daemon=True).start()
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


def _watch(parent: int, poll: float, graceful: bool) -> None:
    """The parent pid, checked every `poll` s; an orphan leaves (a graceful one after cleaning up)."""
    while os.getppid() == parent:
        time.sleep(poll)
    if graceful:
        os.kill(os.getpid(), signal.SIGTERM)   # `Stopped` in the main thread (if not raised yet)
        time.sleep(GRACE_SECONDS + 1.0)        # (`_exit_after_cleanup` ends the process first)
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


_stopping = False                  # a graceful child was told to stop
_caller: CodeType | None = None    # the function of a graceful child that called die_with_parent
_graceful_pid = 0                  # the process that installed the graceful handler


def _stop_once(signum: int, frame: object) -> None:
    """SIGTERM in a graceful child: raise `Stopped` once, and remember it for `raise_if_stopped`.

    A handler's exception can be swallowed where it lands (a fork's at-fork
    hooks print and drop it), so long loops also call `raise_if_stopped`;
    if the cleanup hangs, the process exits `GRACE_SECONDS` later anyway.
    """
    global _stopping
    if os.getpid() != _graceful_pid:   # a process forked from the child, before it reset the handler
        os._exit(1)
    if _stopping:
        return
    _stopping = True
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0)   # clean up at full priority where allowed (it was niced)
    except (OSError, AttributeError):
        pass
    threading.Thread(target=_exit_after_cleanup, name="stop-grace", daemon=True).start()
    raise Stopped(f"stopped by signal {signal.Signals(signum).name}")


def raise_if_stopped() -> None:
    """Raise `Stopped` when this graceful child was told to stop (for loops that run long)."""
    if _stopping:
        raise Stopped("stopped by signal SIGTERM")


def _exit_after_cleanup() -> None:
    """End a stopped child once its main thread has left the function that called
    `die_with_parent` (its cleanup ran and its result went out), or after `GRACE_SECONDS`:
    nothing it could still do is wanted, and a pool worker would otherwise idle on."""
    deadline = time.monotonic() + GRACE_SECONDS
    while _caller is not None and _main_thread_runs(_caller) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(min(RESULT_SECONDS, max(0.0, deadline - time.monotonic())))
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
