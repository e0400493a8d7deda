"""Searches in a worker process (IndexService(search_processes=1), the bot's default on 2+ CPUs).

The worker must answer exactly as the in-process index does, follow every new generation (a
question asked once a rebuild or an upload has returned is answered from the new index), and a
worker that dies must cost no answer: the service searches in-process instead.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from index.service import REBUILD_NICENESS, IndexService

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
QUESTIONS = ["what did Lavrov say about mediation", "Lukashenko", '"European Union"', "qwzx", ""]


@pytest.fixture()
def services(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    remote = IndexService(corpus, tmp_path / "index", search_processes=1)
    remote.start()
    local = IndexService(corpus, tmp_path / "index")
    local.start()
    yield corpus, remote, local
    remote.close()


def test_a_search_process_answers_like_the_index(services) -> None:
    _, remote, local = services
    for question in QUESTIONS:
        for offset in (0, 2):
            assert remote.search(question, 2, offset) == local.search(question, 2, offset)
    assert remote.searchers.failures == 0
    assert remote.questions_answered == 2 * len(QUESTIONS)


def test_the_search_process_follows_rebuilds_and_uploads(services) -> None:
    corpus, remote, _ = services
    (corpus / "harbour.md").write_text(
        "# Harbour lights\n\nThe zorbliquant glowed over the harbour of Xeltravia all night.\n",
        encoding="utf-8")
    assert not any("Xeltravia" in h.text for h in remote.search("zorbliquant", 3).hits)
    remote.rebuild()
    assert any("Xeltravia" in h.text for h in remote.search("zorbliquant", 3).hits)
    remote.add_upload("moors.txt", b"Moors\n\nThe quantumflax rose above the moors of Brenditch.\n")
    assert any("Brenditch" in h.text for h in remote.search("quantumflax", 3).hits)
    assert remote.searchers.failures == 0


def test_a_dead_search_process_costs_no_answer(services) -> None:
    _, remote, local = services
    expected = local.search(QUESTIONS[0], 3)
    assert remote.search(QUESTIONS[0], 3) == expected
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(3):
        assert remote.search(QUESTIONS[0], 3) == expected
    assert remote.searchers.failures >= 1


def _priority_after_yield(idle: bool) -> tuple[str, int, int]:
    """In a child process: what `yield_cpu` chose, the scheduling class and the niceness after it."""
    from index.service import yield_cpu
    chose = yield_cpu(idle)
    return chose, os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_a_rebuild_while_serving_takes_only_idle_cpu() -> None:
    """The rebuild child (and the build workers it forks) yields the CPU to the bot's answering:
    SCHED_IDLE while serving; the first build, with nobody to answer yet, only a lower niceness."""
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(_priority_after_yield, True).result()[:2] == ("idle", os.SCHED_IDLE)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        chose, policy, nice = pool.submit(_priority_after_yield, False).result()
    assert (chose, policy) == ("nice", os.SCHED_OTHER)
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + REBUILD_NICENESS)
