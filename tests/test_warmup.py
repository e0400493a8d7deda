"""The warm-up after a load (index/warmup.py): a long-running service builds the speakers and the
spelling lexicon in the background, answers exactly as without it, and a question racing it waits
for the one computation instead of starting a second."""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from index import news, warmup
from index.service import IndexService

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
QUESTIONS = ["what did Lavrov say about mediation", "Lavrvo mediation", "what did Lukashenko say",
             "Lukashenko source: reuters", "elections"]


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    shutil.copytree(SEEDS, tmp_path / "corpus")
    return tmp_path / "corpus"


def wait_warmed(service: IndexService, deadline_s: float = 120.0) -> None:
    deadline = time.monotonic() + deadline_s
    while not service.warmed():
        assert time.monotonic() < deadline, "the warm-up did not finish"
        time.sleep(0.05)


def built(index) -> bool:
    facts = news.facts(index)
    parts = [facts.main, facts.delta] if hasattr(facts, "main") else [facts]
    lexicon = index.speller.__dict__.get("lexicon")             # (`index.once.computed_once` keeps it there)
    if lexicon is None:
        return False
    lexicons = [lexicon.main, lexicon.delta] if hasattr(lexicon, "main") else [lexicon]
    return (all("_speakers" in f.__dict__ and "_sources" in f.__dict__ for f in parts)
            and all("_by_length" in x.__dict__ for x in lexicons)
            and (not index.delta_sentences or "twins" in index.ranker.__dict__))


def test_loads_rebuilds_and_adds_are_warmed_without_a_question(corpus: Path, tmp_path: Path) -> None:
    service = IndexService(corpus, tmp_path / "index")
    service.start()
    wait_warmed(service)
    assert built(service.index) and service.questions_answered == 0
    service.add_upload("moors.txt", b"Moors\n\n\xe2\x80\x9cThe moors are quiet,\xe2\x80\x9d said Anna Kovacs.\n")
    assert service.index.delta_sentences
    wait_warmed(service)
    assert built(service.index)
    service.rebuild()
    wait_warmed(service)
    assert built(service.index) and service.questions_answered == 0


def test_a_search_process_warms_the_index_it_loads(corpus: Path, tmp_path: Path) -> None:
    service = IndexService(corpus, tmp_path / "index", search_processes=1)
    try:
        service.start()
        wait_warmed(service)
        assert not warmup.is_warm(service.index)     # the bot's own copy is not warmed: the worker answers
        assert service.searchers.failures == 0
    finally:
        service.close()


def test_answers_are_the_same_with_and_without_the_warm_up(corpus: Path, tmp_path: Path) -> None:
    warm = IndexService(corpus, tmp_path / "index")
    warm.start()
    cold = IndexService(corpus, tmp_path / "index", warm=False)
    cold.start()
    wait_warmed(warm)
    assert not cold.warmed() and "_speakers" not in news.facts(cold.index).__dict__
    for question in QUESTIONS:
        for offset in (0, 2):
            assert warm.search(question, 2, offset) == cold.search(question, 2, offset)


class CountingDb:
    """A connection that counts (and slows) reads of the speaker table, so a question can race it."""

    def __init__(self, db, counts: list[str], entered: threading.Event) -> None:
        self.db, self.counts, self.entered = db, counts, entered

    def execute(self, sql: str, *args):
        if "FROM speakers" in sql:
            self.counts.append(sql)
            self.entered.set()
            time.sleep(0.3)
        return self.db.execute(sql, *args)


def test_a_question_racing_the_warm_up_waits_for_its_one_computation(corpus: Path, tmp_path: Path) -> None:
    reference = IndexService(corpus, tmp_path / "index", warm=False)
    reference.start()
    expected = [reference.search(q, 3) for q in QUESTIONS[:2]]
    service = IndexService(corpus, tmp_path / "index", warm=False)
    index = service.start()
    facts = news.facts(index)
    speaker_reads: list[str] = []
    reading = threading.Event()
    real_db = facts._db
    facts._db = lambda: CountingDb(real_db(), speaker_reads, reading)
    lexicons: list[int] = []
    making = threading.Event()
    real_lexicon = index.speller._make_lexicon

    def slow_lexicon():
        lexicons.append(1)
        making.set()
        time.sleep(0.3)
        return real_lexicon()

    index.speller._make_lexicon = slow_lexicon
    warm_up = warmup.start(index)
    assert reading.wait(60)                       # the warm-up reads the speakers: ask now
    assert service.search(QUESTIONS[0], 3) == expected[0]
    assert making.wait(60)
    assert service.search(QUESTIONS[1], 3) == expected[1]
    assert warm_up.done.wait(60) and warm_up.failed is None
    assert len(speaker_reads) == 1 and len(lexicons) == 1

