"""The synthetic scale corpus is deterministic, news-shaped and indexable as is."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import corpus_gen
from index.engine import SearchIndex

REPO = Path(__file__).resolve().parents[1]
needs_seed_data = pytest.mark.skipif(not corpus_gen.SQUAD_DOCS.is_file(),
                                     reason=f"{corpus_gen.SQUAD_DOCS} (the generator's seed text) is not here")


@pytest.fixture(scope="module")
def table() -> corpus_gen.WordTable:
    if not corpus_gen.SQUAD_DOCS.is_file():
        pytest.skip(f"{corpus_gen.SQUAD_DOCS} (the generator's seed text) is not here")
    return corpus_gen.WordTable.measure()


def test_missing_seed_data_stops_with_a_clear_message_and_writes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "squad-dev" / "docs.jsonl"
    with pytest.raises(corpus_gen.SeedDataMissing, match="docs.jsonl is missing"):
        corpus_gen.generate("tiny", 400, n_questions=5, out=tmp_path / "out", squad=missing)
    assert not (tmp_path / "out").exists()
    run = subprocess.run([sys.executable, "bench/corpus_gen.py", "10k", "--out", str(tmp_path / "cli"),
                          "--seed-data", str(missing)], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    assert f"error: {missing} is missing" in run.stderr and "--seed-data" in run.stderr
    assert not (tmp_path / "cli").exists()


def test_articles_are_a_pure_function_of_their_number(table: corpus_gen.WordTable) -> None:
    for n in (0, 1, 977):
        a, b = corpus_gen.generate_article(table, n), corpus_gen.generate_article(table, n)
        assert a.record() == b.record()
    assert corpus_gen.generate_article(table, 1).record() != corpus_gen.generate_article(table, 2).record()


def test_word_distribution_is_zipf_like_with_a_synthetic_tail(table: corpus_gen.WordTable) -> None:
    assert table.word(0).lower() == "the"
    p = corpus_gen.np.diff(table.cdf, prepend=0.0)
    assert p[:100].sum() > 0.3                      # a few words make up much of the text
    assert 0.02 < p[len(table.real):].sum() < 0.3   # and synthetic rare words some of it
    words = {corpus_gen.synthetic_word(i) for i in range(20000)}
    assert len(words) == 20000                      # synthetic words are distinct


@needs_seed_data
def test_generated_corpus_is_deterministic_and_builds(tmp_path: Path) -> None:
    one = corpus_gen.generate("tiny", 400, n_questions=30, out=tmp_path / "one")
    two = corpus_gen.generate("tiny", 400, n_questions=30, out=tmp_path / "two")
    assert one == two and one["generated_sentences"] >= 400
    files = sorted(p.name for p in (tmp_path / "one" / "corpus-tiny").iterdir())
    for name in files:
        assert (tmp_path / "one" / "corpus-tiny" / name).read_bytes() == \
            (tmp_path / "two" / "corpus-tiny" / name).read_bytes()
    questions = (tmp_path / "one" / "queries-tiny.txt").read_text(encoding="utf-8").splitlines()
    assert questions == (tmp_path / "two" / "queries-tiny.txt").read_text(encoding="utf-8").splitlines()
    assert len(questions) == 30
    index, report = SearchIndex.build(tmp_path / "one" / "corpus-tiny", tmp_path / "idx", workers=1)
    assert report.articles == one["articles"] and not report.skipped
    # Punkt finds (nearly) the generated sentences; most questions have answers
    assert abs(report.sentences - one["generated_sentences"]) <= one["generated_sentences"] * 0.02
    answered = sum(1 for q in questions if index.search(q, k=10).hits)
    assert answered >= 0.8 * len(questions)
    record = json.loads((tmp_path / "one" / "corpus-tiny" / files[0]).read_text().splitlines()[0])
    assert set(record) == {"id", "title", "url", "published", "source", "text"}
