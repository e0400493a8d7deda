"""The service's merges of the delta segment into the main one: one at a time, never in the way.

A merge rewrites everything (`index.delta.merge_into`: seconds to a minute at ten million
sentences), so it runs aside: a child process writes the merged main segment into a folder of
the index that no sweep touches while it runs (`store.held`), this process loads it while the
unmerged index answers, and only then, under the service's write lock, is it served
(`index.delta.adopt`) together with whatever uploads and posts added meanwhile, as the new
delta. Searches never wait; an upload waits at most for that last step (a few links and the
small delta). A kill at any moment leaves CURRENT naming the unmerged or the merged
generation; the folder of a killed merge is swept by the next write once its process is gone.

The CLI's `merge` serves nothing, so it loads nothing either (`Merges.run_unserved`): it lets
the loaded index go before the child starts and publishes the child's folder as it is. At ten
million sentences the CLI otherwise held the unmerged index through the merge and then loaded
the merged one beside it: 3.6 GB, on top of the child's 2.7 GB.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from . import delta, store
from .durable import fsync_dir
from .engine import SearchIndex

if TYPE_CHECKING:
    from .service import IndexService

log = logging.getLogger(__name__)
MERGE_NICENESS = 10   # the child yields its core to the bot's answering when they compete


class Merges:
    """Runs `IndexService`'s merges: `run` now, or `start` in a background thread."""

    def __init__(self, service: "IndexService") -> None:
        self.service = service
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """A merge in a background thread (False: one runs already)."""
        with self._lock:
            if self.running:
                return False
            self._thread = threading.Thread(target=self._logged, name="index-merge", daemon=True)
            self._thread.start()
            return True

    def wait(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.join()

    def _logged(self) -> None:
        try:
            self.run()
        except Exception:  # noqa: BLE001 - the unmerged index keeps serving; the next add tries again
            log.exception("Merging the delta segment failed; the index serves unmerged")

    def run(self) -> bool:
        """Merge the delta now (False: there is none, or a rebuild replaced the index meanwhile)."""
        service = self.service
        with service._write:
            snapshot = service.current()
            if not snapshot.delta_sentences:
                return False
        started = time.perf_counter()
        with merged_aside(service.root, snapshot.generation) as folder:
            merged = SearchIndex.load_plain(folder, service.root)     # the big load, outside the lock
            with service._write:
                new = delta.adopt(SearchIndex, service.current(), snapshot, folder, merged, merged.params)
                if new is None:
                    log.info("A rebuild replaced the index during the merge; the merge is dropped")
                    return False
                service._serve(new)
                if service.searchers is not None:
                    service.searchers.start()
        log.info("Merged %d delta sentences into the main segment in %.1f s (%d added meanwhile)",
                 snapshot.delta_sentences, time.perf_counter() - started, new.delta_sentences)
        return True

    def run_unserved(self) -> bool:
        """Merge the delta and publish the merged main as the next generation without loading it
        (False: there is none). The service serves nothing afterwards: the CLI's merge, then exit."""
        service = self.service
        with service._write:
            snapshot = service.current()
            if not snapshot.delta_sentences:
                return False
            generation = snapshot.generation
            service.index = None        # its memory goes before the child takes its own
            snapshot.close()
        del snapshot
        gc.collect()
        with merged_aside(service.root, generation) as folder:
            publish(service.root, generation, folder)
        return True


@contextlib.contextmanager
def merged_aside(root: Path, generation: Path) -> Iterator[Path]:
    """The merge of `generation`, written by a child into a folder of the index that no sweep
    touches meanwhile; the folder is removed afterwards (a new generation links what it needs)."""
    folder = root / store.aside_name("merge")
    with store.held(generation.name, folder.name):
        try:
            merge_in_child(root, generation, folder)
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class MergeRaced(Exception):
    """Another process wrote a generation while this one merged: the merge is dropped."""


def publish(root: Path, merged_from: Path, folder: Path) -> Path:
    """`folder` (the merge of generation `merged_from`) as the next generation, unless CURRENT has
    moved on meanwhile (another process added or rebuilt: its articles are not in `folder`)."""
    if store.current_generation(root).name != merged_from.name:
        raise MergeRaced(f"the index changed during the merge ({merged_from.name} is no longer current); "
                         "nothing was merged")

    def fill(target: Path) -> None:
        delta.link_main(folder, target)
        fsync_dir(target)

    return store.write_generation(root, fill)


def merge_in_child(root: Path, generation: Path, folder: Path) -> None:
    """`index.delta.merge_into` of `generation` into `folder`, in a fresh ("spawn") child process at
    a low priority: a merge at scale is seconds of CPU that would otherwise hold the bot's GIL."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(_merge_generation, root, generation, folder).result()


def _merge_generation(root: Path, generation: Path, folder: Path) -> None:
    from .lifecycle import die_with_parent
    die_with_parent()
    with contextlib.suppress(OSError, AttributeError):
        os.nice(MERGE_NICENESS)
    index = SearchIndex.load(root, generation=generation)
    try:
        delta.merge_into(index, folder)
    finally:
        index.close()
