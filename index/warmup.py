"""Building an index's lazily read structures in the background, right after a search process loads it.

The first question that names a speaker reads the whole speaker table (2.7M rows at ten million
sentences: about 6 s of CPU), the first with an unknown word the spelling lexicon (about 1.7 s),
the first after an add the texts both segments hold (0.1-0.2 s);
after a restart, a /reindex, or a merge, some user would pay that. A daemon thread triggers the same
computations the questions would (they are computed once, under a lock: `index.once`, `Speller.lexicon`),
so a question arriving meanwhile waits for that one computation instead of starting a second. Python
threads have no priority and share the GIL, so this only moves the work to before the first question;
only long-running processes warm (`IndexService`, its search processes), not the one-question CLI.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from . import news

if TYPE_CHECKING:
    from .engine import SearchIndex

log = logging.getLogger(__name__)


class WarmUp:
    """One index's warm-up thread and whether it has finished (`done`) or failed."""

    def __init__(self, index: "SearchIndex") -> None:
        self.done = threading.Event()
        self.failed: str | None = None
        self.thread = threading.Thread(target=self._run, args=(index,), name="index-warm-up", daemon=True)

    def _run(self, index: "SearchIndex") -> None:
        try:
            warm(index)
        except Exception as exc:  # noqa: BLE001 - e.g. the generation was closed and swept meanwhile
            self.failed = f"{type(exc).__name__}: {exc}"
            log.info("Warming index generation %s stopped: %s", index.generation.name, self.failed)
        finally:
            self.done.set()


def warm(index: "SearchIndex") -> None:
    """Build what the first speaker, source or misspelt question would: the same cached computations."""
    news.facts(index).warm()
    index.speller.lexicon.warm()
    if index.delta_sentences:
        index.ranker.twins  # noqa: B018 - the texts in both segments (`segments.CrossTwins`: 80-180 ms at 10M)


def start(index: "SearchIndex") -> WarmUp:
    """Warm `index` in a daemon thread (a process that exits meanwhile does not wait for it)."""
    warm_up = WarmUp(index)
    index.warm_up = warm_up  # type: ignore[attr-defined]
    warm_up.thread.start()
    return warm_up


def is_warm(index: "SearchIndex") -> bool:
    """Whether `index`'s warm-up has finished without an error (False: none was started)."""
    warm_up: WarmUp | None = getattr(index, "warm_up", None)
    return warm_up is not None and warm_up.done.is_set() and warm_up.failed is None
